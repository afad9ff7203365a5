"""`torrents/add` with http(s) URLs: `Ok.` once queued, the .torrent downloaded with httpx (the
given cookie sent along), a redirect to a magnet followed, failures logged, nothing added."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.payloads import make_torrent
from tests.support.waiting import eventually_sync
from tests.support.webui import WebUI, logged_in

MAGNET = "magnet:?xt=urn:btih:" + "d" * 40 + "&dn=Redirected"


@pytest.fixture
def torrent_site(tmp_path: Path) -> Iterator[tuple[str, bytes, list[str]]]:
    torrent, _ = make_torrent(tmp_path / "src", "FromUrl", {"FromUrl": 30_000})
    cookies: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            cookies.append(self.headers.get("Cookie", ""))
            if self.path == "/file.torrent" and "session=abc" in self.headers.get("Cookie", ""):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-bittorrent")
                self.end_headers()
                self.wfile.write(torrent)
            elif self.path == "/to-magnet":
                self.send_response(302)
                self.send_header("Location", MAGNET)
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", torrent, cookies
    server.shutdown()
    server.server_close()


async def test_add_from_urls(webui: WebUI, torrent_site):
    base, _torrent, cookies = torrent_site

    def run() -> None:
        client = logged_in(webui)
        urls = f"{base}/file.torrent\n{base}/to-magnet\n{base}/missing.torrent"
        assert client.torrents_add(urls=urls, cookie="session=abc", category="web") == "Ok."

        def arrived() -> None:
            names = sorted((t.name, t.category) for t in client.torrents_info())
            assert names == [("FromUrl", "web"), ("Redirected", "web")], names

        eventually_sync(arrived)
        assert "session=abc" in cookies
        assert any("Failed to download" in e["message"] for e in client.log_main())

    await asyncio.to_thread(run)
