"""The WebUI listener follows `app/setPreferences`: HTTPS with a certificate made here (httpx
verifies it), back to HTTP, a bad certificate (still served over HTTP, logged), another port."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest

from tests.support.certificates import self_signed
from tests.support.webui import WebUI, login
from torrentstack.client.preferences import Preferences
from torrentstack.client.webui_listener import Place, wanted_place
from torrentstack.serving.server import ALL_IPV4, Tls, bind_tcp


def port_of(webui: WebUI) -> int:
    return int(webui.url.rsplit(":", 1)[1])


async def set_preferences(url: str, prefs: dict, verify: ssl.SSLContext | bool = True) -> None:
    async with httpx.AsyncClient(base_url=url, verify=verify, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        reply = await http.post("/api/v2/app/setPreferences", data={"json": json.dumps(prefs)})
        assert reply.status_code == 200, reply.text


async def version(url: str, verify: ssl.SSLContext | bool = True) -> str:
    async with httpx.AsyncClient(base_url=url, verify=verify, timeout=5) as http:
        assert (await login(http)).text == "Ok."
        reply = await http.get("/api/v2/app/version")
        assert reply.status_code == 200
        return reply.text


async def log_messages(url: str) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        await login(http)
        reply = await http.get("/api/v2/log/main")
        return [entry["message"] for entry in reply.json()]


async def test_https_on_and_off(webui: WebUI, tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    port = port_of(webui)
    http_url, https_url = webui.url, f"https://127.0.0.1:{port}"
    trusting = ssl.create_default_context(cafile=str(files.cert))
    await set_preferences(
        http_url,
        {"use_https": True, "web_ui_https_cert_path": str(files.cert),
         "web_ui_https_key_path": str(files.key)},
    )  # fmt: skip
    assert (await version(https_url, trusting)).startswith("v")
    with pytest.raises(httpx.HTTPError):
        await version(http_url)
    with pytest.raises(httpx.ConnectError):  # a certificate nobody vouched for
        await version(https_url)
    await set_preferences(https_url, {"use_https": False}, trusting)
    assert (await version(http_url)).startswith("v")
    with pytest.raises(httpx.ConnectError):
        await version(https_url, trusting)
    assert "WebUI: HTTPS setup successful" in await log_messages(http_url)


async def test_unusable_certificate_keeps_http(webui: WebUI, tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    for cert, key in ((tmp_path / "missing.crt", tmp_path / "missing.key"),
                      (tmp_path / "junk.pem", tmp_path / "junk.pem")):  # fmt: skip
        await set_preferences(
            webui.url,
            {"use_https": True, "web_ui_https_cert_path": str(cert),
             "web_ui_https_key_path": str(key)},
        )  # fmt: skip
        assert (await version(webui.url)).startswith("v")
        await set_preferences(webui.url, {"use_https": False})
    messages = await log_messages(webui.url)
    assert messages.count("WebUI: HTTPS setup failed, fallback to HTTP") == 2


async def test_port_change(webui: WebUI) -> None:
    spare = bind_tcp("127.0.0.1", 0)
    new_port = spare.getsockname()[1]
    spare.close()
    await set_preferences(webui.url, {"web_ui_port": new_port})
    new_url = f"http://127.0.0.1:{new_port}"
    assert (await version(new_url)).startswith("v")
    with pytest.raises(httpx.ConnectError):
        await version(webui.url)
    async with httpx.AsyncClient(base_url=new_url, timeout=5) as http:
        await login(http)
        prefs = (await http.get("/api/v2/app/preferences")).json()
    assert prefs["web_ui_port"] == new_port


async def test_port_in_use_keeps_the_listener(webui: WebUI) -> None:
    taken = bind_tcp("127.0.0.1", 0)
    try:
        await set_preferences(webui.url, {"web_ui_port": taken.getsockname()[1]})
        assert (await version(webui.url)).startswith("v")
        messages = await log_messages(webui.url)
        assert any(m.startswith("WebUI: Unable to bind to IP: 127.0.0.1, port: ") for m in messages)
    finally:
        taken.close()


async def test_starts_with_https_when_stored(start_webui, tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    data = tmp_path / "state"
    first = await start_webui(data)
    await set_preferences(
        first.url,
        {"use_https": True, "web_ui_https_cert_path": str(files.cert),
         "web_ui_https_key_path": str(files.key)},
    )  # fmt: skip
    first.stop.set()
    second = await start_webui(data)
    https_url = second.url.replace("http://", "https://")
    trusting = ssl.create_default_context(cafile=str(files.cert))
    assert (await version(https_url, trusting)).startswith("v")


@pytest.mark.parametrize(
    ("address", "host"),
    [("*", ALL_IPV4), ("", ALL_IPV4), (" 127.0.0.1 ", "127.0.0.1"), ("[::1]", "::1"),
     ("::1", "::1")],
)  # fmt: skip
def test_the_place_the_preferences_ask_for(address: str, host: str) -> None:
    prefs = Preferences(save_path="/srv", listen_port=6881)
    prefs.update({"web_ui_address": address, "web_ui_port": 9090})
    assert wanted_place(prefs) == Place(host, 9090, None)
    prefs.update({"use_https": True, "web_ui_https_cert_path": "/c", "web_ui_https_key_path": "/k"})
    assert wanted_place(prefs).tls == Tls("/c", "/k")
