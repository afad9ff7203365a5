"""The loopback Torznab server itself: a wrong key, unknown functions, paging, its request log."""

from __future__ import annotations

import httpx
import pytest

from tests.support.torznab_server import GARBAGE

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_server_checks_the_key_and_the_function(server):
    async with httpx.AsyncClient(base_url=server.base) as http:
        wrong = await http.get("/api", params={"apikey": "nope", "t": "caps"})
        assert wrong.status_code == 401 and b'code="100"' in wrong.content
        unknown = await http.get("/api", params={"apikey": server.apikey, "t": "music"})
        assert b'code="202"' in unknown.content
        missing = await http.get(f"/dl/1.torrent?apikey={server.apikey}")
        assert missing.status_code == 404
    assert [r.params.get("t") for r in server.received()] == ["caps", "music"]


async def test_faults_apply_in_order_to_their_path(server):
    server.fail_next(status=503, retry_after="7", on="dl", after=1)
    server.garbage_next(on="api")
    item = server.add("A.Title-GRP", torrent=b"d4:infod6:lengthi1eee")
    async with httpx.AsyncClient() as http:
        assert (await http.get(server.url, params={"t": "search"})).content == GARBAGE
        assert (await http.get(server.link(item))).status_code == 200
        failed = await http.get(server.link(item))
        assert (failed.status_code, failed.headers["retry-after"]) == (503, "7")
        assert (await http.get(server.link(item))).status_code == 200
