"""`torrents/add` over HTTP with arbitrary uploads and fields: 200/400/415, never a crash, and
the engine keeps working afterwards."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.webui import WebUI, login
from torrentstack.bittorrent.bencode import encode
from torrentstack.client.engine import EngineError, parse_torrent

bencoded = st.recursive(
    st.integers() | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.binary(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
torrentish = st.builds(
    lambda info, extra: encode({b"info": info, **extra}),
    st.dictionaries(
        st.sampled_from([b"name", b"piece length", b"pieces", b"length", b"files"]),
        bencoded,
        max_size=5,
    ),
    st.dictionaries(st.sampled_from([b"announce", b"url-list", b"comment"]), bencoded, max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | torrentish)
def test_libtorrent_parser_says_yes_or_engine_error(data):
    with contextlib.suppress(EngineError):
        parse_torrent(data)


async def test_random_adds_never_crash(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(
            files=st.lists(st.binary(max_size=200) | torrentish, max_size=3),
            fields=st.dictionaries(
                st.sampled_from(["urls", "tags", "category", "paused", "upLimit", "contentLayout"]),
                st.text(max_size=20),
                max_size=4,
            ),
        )
        def check(files, fields):
            async def post():
                uploads = [("torrents", (f"f{i}.torrent", data)) for i, data in enumerate(files)]
                data = {k: v for k, v in fields.items() if k != "urls" or not v.startswith("http")}
                return await http.post("/api/v2/torrents/add", data=data, files=uploads or None)

            reply = asyncio.run_coroutine_threadsafe(post(), loop).result(20)
            assert reply.status_code in (200, 400, 415), reply.text
            assert reply.text in ("Ok.", "Fails.") or reply.status_code != 200

        loop = asyncio.get_running_loop()
        await asyncio.to_thread(check)
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"
        assert (await http.get("/api/v2/torrents/info")).status_code == 200
