"""The alternative WebUI's files side by side with Debian's qbittorrent-nox 4.5.2: the same
folder behind both, the same requests (anonymous and logged in), the same answers.

The files hold no `QBT_TR(...)`/`${LANG}` markers: 4.6 and 5.x replace them in an alternative
WebUI's text files as in their own (test_webui_files.py), 4.5.2 left them as they were."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from tests.support.torrent_clients import Daemon, qbittorrent_nox  # noqa: F401 - a fixture
from tests.support.webui import PASSWORD, USERNAME, WebUI

COMPARED = ("content-type", "cache-control", "x-frame-options", "x-content-type-options",
            "referrer-policy", "x-xss-protection", "content-security-policy")  # fmt: skip
PATHS = ["/", "/index.html", "/app.js", "/style.css", "/logo.png", "/data.json", "/only-private.html",
         "/nothing.html", "/sub/", "/sub/page.html", "/linked/secret.txt", "/../secret.txt",
         "/%2e%2e/secret.txt", "/sub/../index.html", "/./index.html", "/a\\b",
         "/api/v2/nothing", "/api/v2/app"]  # fmt: skip


def make_folder(root: Path) -> Path:
    folder = root / "ui"
    for part in ("public/sub", "private"):
        (folder / part).mkdir(parents=True)
    (folder / "public" / "index.html").write_text("<html>public</html>")
    (folder / "public" / "app.js").write_text("let a = 1;")
    (folder / "public" / "style.css").write_text("body{}")
    (folder / "public" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (folder / "public" / "data.json").write_text('{"a": 1}')
    (folder / "public" / "sub" / "page.html").write_text("<p>sub</p>")
    (folder / "private" / "index.html").write_text("<html>private</html>")
    (folder / "private" / "only-private.html").write_text("<p>private only</p>")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "secret.txt").write_text("secret")
    os.symlink(outside, folder / "public" / "linked")
    return folder


async def raw_get(port: int, target: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n"
    try:
        writer.write(request.encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(reader.readexactly(length), 10)
    finally:
        writer.close()
    return int(lines[0].split(" ")[1]), headers, body


async def configure(url: str, username: str, password: str, folder: Path) -> str:
    """Turn the alternative WebUI on; the session cookie."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        reply = await http.post(
            "/api/v2/auth/login", data={"username": username, "password": password}
        )
        assert reply.text == "Ok."
        prefs = {"alternative_webui_enabled": True, "alternative_webui_path": str(folder)}
        reply = await http.post("/api/v2/app/setPreferences", data={"json": json.dumps(prefs)})
        assert reply.status_code == 200
        return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def seen(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str | None], bytes]:
    status, headers, body = answer
    if "gzip" in headers.get("content-encoding", ""):
        pytest.fail("unexpected gzip")
    return status, {name: headers.get(name) for name in COMPARED}, body


async def test_same_answers_as_qbittorrent_nox(
    webui: WebUI,
    qbittorrent_nox: Daemon,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "webui")
    ours_port = int(webui.url.rsplit(":", 1)[1])
    ours_cookie = await configure(webui.url, USERNAME, PASSWORD, folder)
    nox = qbittorrent_nox
    nox_url = f"http://127.0.0.1:{nox.port}"
    nox_cookie = await configure(nox_url, nox.username, nox.password, folder)
    differences = []
    for logged_in in (False, True):
        for path in PATHS:
            theirs = seen(await raw_get(nox.port, path, nox_cookie if logged_in else ""))
            ours = seen(await raw_get(ours_port, path, ours_cookie if logged_in else ""))
            if ours != theirs:
                differences.append(
                    f"{path} (logged in: {logged_in}):\n  nox  {theirs}\n  ours {ours}"
                )
    assert not differences, "\n".join(differences)
