"""A kill -9 of the bridge while it polls a provider loses nothing: after a restart every item
is there, the one in progress is polled on to `pausedUP`, and nothing is handed to the
provider a second time (the loopback Real-Debrid counts the adds)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.e2e.serve_process import start, stop
from tests.support.debrid_services.catalogue import episode, single_file
from tests.support.debrid_services.realdebrid import realdebrid_service
from tests.support.debrid_stack import OWN_PASSWORD, tree_bytes
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow]


async def _client(port: int) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
    reply = await http.post(
        "/api/v2/auth/login", data={"username": "admin", "password": OWN_PASSWORD}
    )
    assert reply.text == "Ok."
    return http


async def _torrent(http: httpx.AsyncClient, info_hash: str) -> dict:
    reply = await http.get("/api/v2/torrents/info", params={"hashes": info_hash})
    found = reply.json()
    return found[0] if found else {}


async def test_a_kill_mid_poll_loses_no_item_and_submits_nothing_twice(tmp_path):
    slow, quick = episode(), single_file()
    async with realdebrid_service(
        [slow, quick], api_key="rd-key", uncached=[slow.info_hash], download_polls=40
    ) as fake:
        env = {
            "TORRENTSTACK_DEBRID__PROVIDERS": json.dumps(
                [{"provider": "realdebrid", "api_key": "rd-key", "api_url": fake.url}]
            ),
            "TORRENTSTACK_DEBRID__PASSWORD": OWN_PASSWORD,
            "TORRENTSTACK_DEBRID__DOWNLOAD_FOLDER": str(tmp_path / "downloads"),
            "TORRENTSTACK_DEBRID__DOWNLOAD_ACTION": "download",
            "TORRENTSTACK_DEBRID__REFRESH_INTERVAL": "0.2",
        }
        proc, ports, _ = await asyncio.to_thread(start, tmp_path, "debrid", env=env)
        try:
            http = await _client(ports["debrid"])
            await http.post("/api/v2/torrents/add", data={"urls": quick.magnet, "category": "tv"})
            done = await eventually(lambda: _state(http, quick.info_hash, "pausedUP"), timeout=30)
            assert done
            form = {"urls": slow.magnet, "arr": "tv", "downloadUncached": "true"}
            added = await http.post("/api/add", data=form, headers=await _bearer(tmp_path))
            assert added.status_code == 200, added.text

            async def part_way() -> bool:
                torrent = await _torrent(http, slow.info_hash)
                return 0 < torrent.get("progress", 0) < 0.5

            await eventually(part_way, timeout=30)
            await http.aclose()
        finally:
            await asyncio.to_thread(stop, proc)  # SIGKILL, mid-poll

        proc, ports, _ = await asyncio.to_thread(start, tmp_path, "debrid", env=env)
        try:
            http = await _client(ports["debrid"])
            assert (await _torrent(http, quick.info_hash))["state"] == "pausedUP"
            await eventually(lambda: _state(http, slow.info_hash, "pausedUP"), timeout=60)
            folder = tmp_path / "downloads" / "tv"
            assert tree_bytes(folder / slow.name) == slow.files
            assert (folder / quick.name).read_bytes() == quick.files[quick.name]
            await http.aclose()
        finally:
            await asyncio.to_thread(stop, proc, graceful=True)
        adds = [path for method, path in fake.requests if path.endswith("/torrents/addMagnet")]
        assert len(adds) == 2  # one per torrent, none again after the restart


async def _state(http: httpx.AsyncClient, info_hash: str, state: str) -> bool:
    return (await _torrent(http, info_hash)).get("state") == state


async def _bearer(tmp_path) -> dict[str, str]:
    token = (tmp_path / "data" / "secrets" / "debrid-api-token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}
