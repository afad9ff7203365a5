"""Every path outside /api/ serves the alternative WebUI folder as qBittorrent does: public/
before login, private/ (then public/) after, its content types, caching and security headers,
`..` and symlinks refused; without one, a page that says how to set one."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from tests.support.webui import WebUI, login


def make_webui_folder(root: Path) -> Path:
    (root / "public").mkdir(parents=True)
    (root / "private").mkdir()
    (root / "public" / "index.html").write_text("<html>public index ${LANG}</html>")
    (root / "public" / "app.js").write_text("console.log('QBT_TR(Say \"hi\")QBT_TR[CONTEXT=App]');")
    (root / "public" / "style.css").write_text("body{}")
    (root / "public" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (root / "private" / "index.html").write_text("<html>private index</html>")
    return root


async def enable(http: httpx.AsyncClient, folder: Path | str, enabled: bool = True) -> None:
    prefs = {"alternative_webui_enabled": enabled, "alternative_webui_path": str(folder)}
    reply = await http.post("/api/v2/app/setPreferences", data={"json": json.dumps(prefs)})
    assert reply.status_code == 200


async def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """GET `target` exactly as written (httpx would resolve dot segments first)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(-1), 5)
    finally:
        writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_without_a_webui_a_page_says_how_to_set_one(webui: WebUI) -> None:
    async with httpx.AsyncClient(base_url=webui.url) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html"
        assert "No WebUI is configured" in page.text
        assert "alternative_webui_path" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self';")
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-frame-options"] == "SAMEORIGIN"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert (await http.get("/scripts/client.js")).status_code == 404
        await login(http)
        await enable(http, "/nonexistent/webui")
        page = await http.get("/")
        assert "is not an absolute path to a folder" in page.text


async def test_public_before_login_private_after(webui: WebUI, tmp_path: Path) -> None:
    folder = make_webui_folder(tmp_path / "ui")
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await enable(http, folder)
        assert (await http.get("/")).text == "<html>private index</html>"
        assert (await http.get("/style.css")).text == "body{}"  # no private one: the public one
    async with httpx.AsyncClient(base_url=webui.url) as anonymous:
        index = await anonymous.get("/")
        assert index.text == "<html>public index en</html>"
        assert (await anonymous.get("/index.html")).text == index.text
        headers = index.headers
        assert headers["content-type"] == "text/html"
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == "frame-ancestors 'self';"
        assert "referrer-policy" not in headers  # not for an alternative WebUI (5.1)
        script = await anonymous.get("/app.js")
        assert script.headers["content-type"] == "application/javascript"
        assert script.headers["cache-control"] == "private, max-age=43200"
        assert script.text == "console.log('Say &#34;hi&#34;');"
        logo = await anonymous.get("/logo.png")
        assert logo.headers["content-type"] == "image/png"
        assert logo.headers["cache-control"] == "private, max-age=604800"
        assert logo.content == b"\x89PNG\r\n\x1a\nnot really"
        missing = await anonymous.get("/nothing.html")
        assert (missing.status_code, missing.text) == (
            500,
            "Unacceptable file type, only regular file is allowed.",
        )
        assert (await anonymous.get("/api/v2/app/version")).status_code == 403
        crossed = await anonymous.get("/", headers={"Origin": "http://evil.example"})
        assert crossed.status_code == 401


@pytest.mark.parametrize(
    "target",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/public/%2E%2E/%2e%2e/secret.txt", "/./index.html",
     "/..%2fsecret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt"],
)  # fmt: skip
async def test_dot_segments_refused(webui: WebUI, tmp_path: Path, target: str) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    folder = make_webui_folder(tmp_path / "ui")
    (folder / "secret.txt").write_text("secret")
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await enable(http, folder)
    status, body = await raw_get(webui.url, target)
    assert status == 400
    assert b"secret" not in body


async def test_symlinks_out_of_the_folder_refused(webui: WebUI, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    folder = make_webui_folder(tmp_path / "ui")
    os.symlink(outside, folder / "public" / "linked")
    os.symlink(outside / "secret.txt", folder / "public" / "secret.txt")
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await enable(http, folder)
    async with httpx.AsyncClient(base_url=webui.url) as anonymous:
        for path in ("/linked/secret.txt", "/secret.txt"):
            reply = await anonymous.get(path)
            assert (reply.status_code, reply.text) == (
                500,
                "Symlinks inside alternative UI folder are forbidden.",
            )


async def test_webui_off_again(webui: WebUI, tmp_path: Path) -> None:
    folder = make_webui_folder(tmp_path / "ui")
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await enable(http, folder)
        assert "private index" in (await http.get("/")).text
        await enable(http, folder, enabled=False)
        assert "No WebUI is configured" in (await http.get("/")).text
