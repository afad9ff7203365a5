"""qBittorrent 5.x's app endpoints and web seed edits under persona 5.1 (getDirectoryContent,
cookies kept across a restart and sent with URL downloads, sendTestEmail to a loopback SMTP
server, add/edit/removeWebSeeds), and 404 for every 5.x-only endpoint under persona 4.6."""

from __future__ import annotations

import datetime
import email
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app
from tests.support.payloads import make_torrent
from tests.support.smtp_server import smtp_server
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI, login

FIVE_ONLY = [
    ("POST", "torrentcreator/addTask"), ("GET", "torrentcreator/status"),
    ("GET", "torrentcreator/torrentFile"), ("POST", "torrentcreator/deleteTask"),
    ("POST", "torrents/addWebSeeds"), ("POST", "torrents/editWebSeed"),
    ("POST", "torrents/removeWebSeeds"), ("GET", "app/getDirectoryContent"),
    ("GET", "app/cookies"), ("POST", "app/setCookies"), ("POST", "app/sendTestEmail"),
    ("POST", "torrents/setTags"), ("POST", "torrents/stop"), ("POST", "torrents/start"),
    ("GET", "torrents/SSLParameters"), ("POST", "torrents/setSSLParameters"),
]  # fmt: skip


@pytest.fixture
async def webui5(start_webui: StartWebUI) -> WebUI:
    return await start_webui(persona="5.1")


@pytest.fixture
async def http(webui5: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui5.url, timeout=10) as client:
        assert (await login(client)).text == "Ok."
        yield client


async def call(
    http: httpx.AsyncClient, method: str, endpoint: str, **params: str
) -> httpx.Response:
    url = f"/api/v2/{endpoint}"
    return await (http.post(url, data=params) if method == "POST" else http.get(url, params=params))


@pytest.mark.parametrize(("method", "endpoint"), FIVE_ONLY)
async def test_five_only_endpoints_are_404_under_46(webui: WebUI, method: str, endpoint: str):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        reply = await call(http, method, endpoint)
        assert (reply.status_code, reply.text) == (404, "Not Found")


async def test_get_directory_content(http: httpx.AsyncClient, tmp_path: Path):
    root = tmp_path / "browse"
    (root / "dir").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "file.txt").write_text("x")
    (root / ".dotfile").write_text("x")
    listing = await call(http, "GET", "app/getDirectoryContent", dirPath=str(root))
    assert listing.json() == [str(root / "dir"), str(root / "file.txt")]
    dirs = await call(http, "GET", "app/getDirectoryContent", dirPath=str(root), mode="dirs")
    assert dirs.json() == [str(root / "dir")]
    files = await call(http, "POST", "app/getDirectoryContent", dirPath=str(root), mode="files")
    assert files.json() == [str(root / "file.txt")]
    cases = [
        ({}, 400, "Bad Request"),
        ({"dirPath": "relative/path"}, 400, "Invalid directory path"),
        ({"dirPath": ""}, 400, "Invalid directory path"),
        ({"dirPath": str(root / "absent")}, 404, "Directory does not exist"),
        ({"dirPath": str(root / "file.txt")}, 404, "Directory does not exist"),
        ({"dirPath": str(root), "mode": "links"}, 400,
         "Invalid mode, allowed values: all, dirs, files"),
    ]  # fmt: skip
    for params, status, body in cases:
        reply = await call(http, "GET", "app/getDirectoryContent", **params)
        assert (reply.status_code, reply.text) == (status, body), params


async def test_cookies_are_kept_and_sent_with_url_downloads(
    start_webui: StartWebUI, tmp_path: Path
):
    torrent, _ = make_torrent(tmp_path / "src", "Cookie", {"Cookie": 20_000})
    seen: list[str] = []

    async def download(request: Request) -> Response:
        seen.append(request.headers.get("cookie", ""))
        return Response(torrent, media_type="application/x-bittorrent")

    cookies = [
        {"name": "uid", "domain": "127.0.0.1", "path": "/", "value": "42",
         "expirationDate": 4_000_000_000},
        {"name": "other", "domain": "elsewhere.example", "path": "/", "value": "no",
         "expirationDate": 4_000_000_000},
    ]  # fmt: skip
    first = await start_webui(tmp_path / "state", persona="5.1")
    async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        bad = await call(http, "POST", "app/setCookies", cookies="{}")
        assert (bad.status_code, bad.text) == (400, "cookies must be array")
        assert (await call(http, "POST", "app/setCookies")).status_code == 400
        assert (await call(http, "POST", "app/setCookies", cookies="[1]")).status_code == 400
        assert (await call(http, "POST", "app/setCookies", cookies="nope")).status_code == 400
        reply = await call(http, "POST", "app/setCookies", cookies=json.dumps(cookies))
        assert reply.status_code == 200
    await first.runtime.backend.close()
    first.stop.set()
    again = await start_webui(tmp_path / "state", persona="5.1")
    app = Starlette(routes=[Route("/get/x.torrent", download)])
    async with (
        serve_app(app) as port,
        httpx.AsyncClient(base_url=again.url, timeout=10) as http,
    ):
        assert (await login(http)).text == "Ok."
        assert (await call(http, "GET", "app/cookies")).json() == cookies
        added = await call(
            http, "POST", "torrents/add", urls=f"http://127.0.0.1:{port}/get/x.torrent"
        )
        assert added.text == "Ok."

        async def arrived() -> None:
            assert len((await call(http, "GET", "torrents/info")).json()) == 1

        await eventually(arrived)
    assert seen == ["uid=42"]


def loopback_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server context for 127.0.0.1 whose self-signed certificate the client trusts (through
    SSL_CERT_FILE, which the default context reads)."""
    certificate, key = self_signed(ip="127.0.0.1")
    (tmp_path / "cert.pem").write_text(certificate)
    (tmp_path / "key.pem").write_text(key)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
async def test_send_test_email(
    start_webui: StartWebUI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
):
    tls = loopback_tls(tmp_path, monkeypatch) if security != "plain" else None
    async with smtp_server(tls, implicit_tls=security == "ssl") as smtp:
        webui = await start_webui(persona="5.1")
        async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
            assert (await login(http)).text == "Ok."
            prefs = {
                "mail_notification_enabled": True,
                "mail_notification_smtp": f"127.0.0.1:{smtp.port}",
                "mail_notification_sender": "client@example.test",
                "mail_notification_email": "me@example.test",
                "mail_notification_auth_enabled": True,
                "mail_notification_username": "mailer",
                "mail_notification_password": "s3cret",
                "mail_notification_ssl_enabled": security == "ssl",
            }
            await call(http, "POST", "app/setPreferences", json=json.dumps(prefs))
            reply = await call(http, "POST", "app/sendTestEmail")
            assert (reply.status_code, reply.text) == (200, "")
            assert (await call(http, "GET", "app/sendTestEmail")).status_code == 405
            (message,) = await eventually(lambda: smtp.messages)
            parsed = email.message_from_bytes(message.data)
            assert message.sender == "client@example.test"
            assert message.recipients == ["me@example.test"]
            assert message.login == ("mailer", "s3cret")
            assert message.encrypted is (security != "plain")
            assert parsed["To"] == "me@example.test" and parsed["Subject"]


async def test_send_test_email_failure_is_logged(start_webui: StartWebUI):
    async with smtp_server() as smtp:
        port = smtp.port  # closed once the block ends: nothing listens there
    webui = await start_webui(persona="5.1")
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        prefs = {"mail_notification_smtp": f"127.0.0.1:{port}"}
        await call(http, "POST", "app/setPreferences", json=json.dumps(prefs))
        assert (await call(http, "POST", "app/sendTestEmail")).status_code == 200

        async def logged() -> None:
            entries = (await call(http, "GET", "log/main")).json()
            assert any("email" in e["message"] and e["type"] == 8 for e in entries), entries

        await eventually(logged)


async def test_web_seeds_added_edited_removed(
    start_webui: StartWebUI, webui5: WebUI, http: httpx.AsyncClient, tmp_path: Path
):
    torrent, source = make_torrent(tmp_path / "src", "Seeded", {"Seeded": 30_000})
    await http.post(
        "/api/v2/torrents/add",
        data={"savepath": str(source.parent), "stopped": "true"},
        files={"torrents": ("s.torrent", torrent)},
    )
    (info,) = (await call(http, "GET", "torrents/info")).json()
    hash_ = info["hash"]

    async def seeds() -> list[str]:
        return [s["url"] for s in (await call(http, "GET", "torrents/webseeds", hash=hash_)).json()]

    a, b, c = "http://a.example/f/", "https://b.example/f/", "http://c.example/f/"
    assert (
        await call(http, "POST", "torrents/addWebSeeds", hash=hash_, urls=f"{a}|{b}")
    ).status_code == 200
    assert sorted(await seeds()) == [a, b]
    assert (
        await call(http, "POST", "torrents/editWebSeed", hash=hash_, origUrl=a, newUrl=c)
    ).status_code == 200
    assert sorted(await seeds()) == sorted([b, c])
    assert (
        await call(http, "POST", "torrents/removeWebSeeds", hash=hash_, urls=b)
    ).status_code == 200
    assert await seeds() == [c]
    unknown = "0" * 40
    cases = [
        ("torrents/addWebSeeds", {"hash": hash_}, 400, "Bad Request"),
        ("torrents/addWebSeeds", {"hash": unknown, "urls": "ftp://x/"}, 404, "Not Found"),
        ("torrents/addWebSeeds", {"hash": hash_, "urls": "ftp://x/"}, 400,
         "URL scheme must be one of [http, https]"),
        ("torrents/addWebSeeds", {"hash": hash_, "urls": "http://x y/"}, 400,
         '"http://x y/" is not a valid URL'),
        ("torrents/editWebSeed", {"hash": hash_, "origUrl": a, "newUrl": b}, 409,
         f'"{a}" is not an existing URL'),
        ("torrents/editWebSeed", {"hash": hash_, "origUrl": c}, 400, "Bad Request"),
        ("torrents/editWebSeed", {"hash": unknown, "origUrl": c, "newUrl": a}, 404, "Not Found"),
        ("torrents/removeWebSeeds", {"hash": unknown, "urls": c}, 404, "Not Found"),
        ("torrents/removeWebSeeds", {"hash": hash_, "urls": "magnet:?x"}, 400,
         "URL scheme must be one of [http, https]"),
    ]  # fmt: skip
    for endpoint, params, status, body in cases:
        reply = await call(http, "POST", endpoint, **params)
        assert (reply.status_code, reply.text) == (status, body), (endpoint, params)
    assert await seeds() == [c]
    # kept in the resume data: a restart shows the same seeds
    await webui5.runtime.backend.close()
    webui5.stop.set()
    again = await start_webui(data_dir=tmp_path, persona="5.1")
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as after:
        assert (await login(after)).text == "Ok."
        reply = await call(after, "GET", "torrents/webseeds", hash=hash_)
        assert [s["url"] for s in reply.json()] == [c]


def self_signed(ip: str = "") -> tuple[str, str]:
    """A PEM certificate (for `ip` when given, its own CA) and its private key, made here."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip or "torrent")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if ip:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))])
        builder = builder.add_extension(san, critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


async def test_ssl_parameters_kept_across_a_restart(
    start_webui: StartWebUI, webui5: WebUI, http: httpx.AsyncClient, tmp_path: Path
):
    torrent, source = make_torrent(tmp_path / "src", "Secure", {"Secure": 30_000})
    await http.post(
        "/api/v2/torrents/add",
        data={"savepath": str(source.parent), "stopped": "true"},
        files={"torrents": ("s.torrent", torrent)},
    )
    (info,) = (await call(http, "GET", "torrents/info")).json()
    hash_ = info["hash"]
    empty = {"ssl_certificate": "", "ssl_private_key": "", "ssl_dh_params": ""}
    assert (await call(http, "GET", "torrents/SSLParameters", hash=hash_)).json() == empty
    certificate, key = self_signed()
    good = {"ssl_certificate": certificate, "ssl_private_key": key, "ssl_dh_params": "dh"}
    cases = [
        ({"hash": hash_, "ssl_certificate": "x", "ssl_private_key": "y", "ssl_dh_params": "z"},
         415, "Unsupported Media Type"),
        ({**good, "hash": hash_, "ssl_dh_params": ""}, 415, "Unsupported Media Type"),
        ({**good, "hash": hash_, "ssl_private_key": certificate}, 415, "Unsupported Media Type"),
        ({"hash": hash_, "ssl_certificate": certificate}, 400, "Bad Request"),
        ({**good, "hash": "0" * 40}, 404, "Not Found"),
    ]  # fmt: skip
    for params, status, body in cases:
        reply = await call(http, "POST", "torrents/setSSLParameters", **params)
        assert (reply.status_code, reply.text) == (status, body)
    unknown = await call(http, "GET", "torrents/SSLParameters", hash="0" * 40)
    assert unknown.status_code == 404
    reply = await call(http, "POST", "torrents/setSSLParameters", hash=hash_, **good)
    assert reply.status_code == 200
    assert (await call(http, "GET", "torrents/SSLParameters", hash=hash_)).json() == good
    await webui5.runtime.backend.close()
    webui5.stop.set()
    again = await start_webui(data_dir=tmp_path, persona="5.1")
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as after:
        assert (await login(after)).text == "Ok."
        reply = await call(after, "GET", "torrents/SSLParameters", hash=hash_)
        assert reply.json() == good
