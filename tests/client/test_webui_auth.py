"""WebUI authentication, routing and the app/* endpoints, as qbittorrent-nox 4.5/4.6 answers.

Status codes and bodies follow the captured responses in
shared/reference/qbittorrent-4.5.2-samples (01 no session, 02 bad login, 03 GET login,
04 good login, 78 logout, 80/81 ban).
"""

from __future__ import annotations

import asyncio

import httpx
import libtorrent
import pytest
import qbittorrentapi

from tests.support.webui import PASSWORD, USERNAME, StartWebUI, WebUI, api_client, login

FORBIDDEN_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")
BANNED = "Your IP address has been banned after too many failed authentication attempts."


async def test_qbittorrent_api_logs_in_and_reads_the_app_endpoints(webui: WebUI):
    def session() -> tuple[str, str, dict, str]:
        client = api_client(webui)
        client.auth_log_in()
        result = (
            client.app_version(),
            client.app_web_api_version(),
            dict(client.app_build_info()),
            client.app_default_save_path(),
        )
        client.auth_log_out()
        return result

    version, webapi, build, save_path = await asyncio.to_thread(session)
    assert (version, webapi) == ("v4.6.7", "2.9.3")
    assert build["libtorrent"] == libtorrent.__version__
    assert build["bitness"] == 64 and set(build) >= {"qt", "boost", "openssl", "zlib"}
    assert save_path.endswith("downloads")


async def test_qbittorrent_api_reports_bad_credentials(webui: WebUI):
    client = api_client(webui, password="wrong")
    with pytest.raises(qbittorrentapi.LoginFailed):
        await asyncio.to_thread(client.auth_log_in)


async def test_the_5_1_persona_reports_its_versions(start_webui: StartWebUI):
    webui = await start_webui(persona="5.1")
    client = api_client(webui)
    await asyncio.to_thread(client.auth_log_in)
    assert await asyncio.to_thread(client.app_version) == "v5.1.4"
    assert await asyncio.to_thread(client.app_web_api_version) == "2.11.4"


async def test_session_cookie_login_and_logout(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        denied = await http.get("/api/v2/app/version")
        assert (denied.status_code, denied.text) == (403, "Forbidden")
        assert denied.headers["content-type"] == "text/plain; charset=UTF-8"
        assert all(h in denied.headers for h in FORBIDDEN_HEADERS)
        assert (await login(http, "nope")).text == "Fails."
        good = await login(http)
        assert (good.status_code, good.text) == (200, "Ok.")
        cookie = good.headers["set-cookie"]
        assert cookie.startswith("SID=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert len(http.cookies["SID"]) == 32
        assert (await login(http, "wrong")).text == "Ok."  # a live session is enough
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"
        assert (await http.post("/api/v2/app/webapiVersion")).text == "2.9.3"  # reads take POST
        out = await http.post("/api/v2/auth/logout")
        assert (out.status_code, out.text) == (200, "")
        assert (await http.get("/api/v2/app/version")).status_code == 403


async def test_stolen_cookie_is_useless_after_logout_and_timeout(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        sid = http.cookies["SID"]
        webui.clock.advance(3000)
        assert (await http.get("/api/v2/app/version")).status_code == 200  # refreshed
        webui.clock.advance(3601)
        assert (await http.get("/api/v2/app/version")).status_code == 403  # expired
    async with httpx.AsyncClient(base_url=webui.url, cookies={"SID": sid}) as http:
        assert (await http.get("/api/v2/app/version")).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/api/v2/auth/login", 405, "Method Not Allowed"),
        ("PUT", "/api/v2/app/version", 405, "Method Not Allowed"),
        ("GET", "/api/v2/app/shutdown", 405, "Method Not Allowed"),
        ("GET", "/api/v2/app/noSuchAction", 404, "Not Found"),
        ("GET", "/api/v2/nosuchscope/version", 404, "Not Found"),
        ("GET", "/api/v2/torrents/stop", 404, "Not Found"),  # 5.x vocabulary under 4.6
    ],
)
async def test_methods_and_unknown_endpoints(webui: WebUI, method, path, status, body):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        reply = await http.request(method, path)
        assert (reply.status_code, reply.text) == (status, body)


async def test_without_a_session_everything_but_login_is_forbidden(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        for path in ("/api/v2/app/noSuchAction", "/api/v2/auth/logout", "/api/v2/app/shutdown"):
            reply = await http.post(path)
            assert (reply.status_code, reply.text) == (403, "Forbidden"), path


async def test_failed_logins_ban_the_address(start_webui: StartWebUI):
    webui = await start_webui(max_auth_fail_count=3, ban_duration=60)
    async with httpx.AsyncClient(base_url=webui.url) as http:
        for _ in range(3):
            assert (await login(http, "bad")).text == "Fails."
        for password in ("bad", PASSWORD):  # banned: even the right password
            reply = await login(http, password)
            assert (reply.status_code, reply.text) == (403, BANNED)
        webui.clock.advance(61)
        assert (await login(http)).text == "Ok."


async def test_a_good_login_clears_the_failure_count(start_webui: StartWebUI):
    webui = await start_webui(max_auth_fail_count=2)
    async with httpx.AsyncClient(base_url=webui.url) as http:
        assert (await login(http, "bad")).text == "Fails."
        assert (await login(http)).text == "Ok."
    async with httpx.AsyncClient(base_url=webui.url) as http:
        assert (await login(http, "bad")).text == "Fails."
        assert (await login(http)).text == "Ok."


async def test_parameters_of_a_post_come_from_the_body_only(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        query = await http.post(
            "/api/v2/auth/login", params={"username": USERNAME, "password": PASSWORD}
        )
        assert query.text == "Fails."
        multipart = await http.post(
            "/api/v2/auth/login",
            files={"username": (None, USERNAME), "password": (None, PASSWORD)},
        )
        assert multipart.text == "Ok."


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example.com"}, 401),
        ({"Referer": "http://evil.example.com/page"}, 401),
        ({"Host": "127.0.0.1:9999"}, 401),
        ({"Host": "evil.example.com"}, 200),  # server_domains "*": any name, our port
        ({}, 200),
    ],
)
async def test_cross_site_and_host_checks(webui: WebUI, headers, status):
    port = webui.url.rsplit(":", 1)[1]
    same_origin = {"Origin": f"http://127.0.0.1:{port}", "Referer": f"http://127.0.0.1:{port}/"}
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        if headers.get("Host") == "evil.example.com":
            headers = {"Host": f"evil.example.com:{port}"}
        reply = await http.get("/api/v2/app/version", headers=headers)
        assert reply.status_code == status
        if status == 401:
            assert reply.text == "Unauthorized"
        assert (await http.get("/api/v2/app/version", headers=same_origin)).status_code == 200


async def test_server_domains_limit_the_host_names(start_webui: StartWebUI):
    webui = await start_webui(server_domains="*.example.org;tracker.test")
    port = webui.url.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        for host, status in (("a.example.org", 200), ("tracker.test", 200), ("evil.com", 401)):
            reply = await http.get("/api/v2/app/version", headers={"Host": f"{host}:{port}"})
            assert reply.status_code == status, host


@pytest.mark.parametrize(
    "overrides", [{"localhost_auth": False}, {"auth_subnet_whitelist": ["127.0.0.0/8"]}]
)
async def test_exempt_clients_need_no_login(start_webui: StartWebUI, overrides):
    webui = await start_webui(**overrides)
    async with httpx.AsyncClient(base_url=webui.url) as http:
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"


async def test_subnet_whitelist_elsewhere_does_not_exempt_us(start_webui: StartWebUI):
    webui = await start_webui(auth_subnet_whitelist=["10.0.0.0/8"])
    async with httpx.AsyncClient(base_url=webui.url) as http:
        assert (await http.get("/api/v2/app/version")).status_code == 403


async def test_shutdown_stops_the_service(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        reply = await http.post("/api/v2/app/shutdown")
        assert (reply.status_code, reply.text) == (200, "")
    await asyncio.wait_for(webui.stop.wait(), 5)


@pytest.mark.parametrize("persona", ["4.6", "5.1"])
async def test_every_endpoint_needs_a_session(start_webui: StartWebUI, persona: str):
    """The matrix: each registered endpoint, GET and POST, without a session, with a made-up
    or expired SID (403), cross-site with a session (401); with a session it is not refused."""
    webui = await start_webui(persona=persona)
    endpoints = sorted(webui.runtime.api.handlers)
    assert len(endpoints) > 60
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as anonymous:
        for endpoint in endpoints:
            for method in ("GET", "POST"):
                reply = await anonymous.request(method, f"/api/v2/{endpoint}")
                assert (reply.status_code, reply.text) == (403, "Forbidden"), (method, endpoint)
                forged = await anonymous.request(
                    method, f"/api/v2/{endpoint}", headers={"Cookie": "SID=made-up-session-id"}
                )
                assert forged.status_code == 403, (method, endpoint)
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        for endpoint in endpoints:
            if endpoint == "app/shutdown":
                continue
            cross = await http.post(
                f"/api/v2/{endpoint}", headers={"Origin": "http://evil.example"}
            )
            assert cross.status_code == 401, endpoint
            allowed = await http.post(f"/api/v2/{endpoint}")
            assert allowed.status_code not in (401, 403, 500), (endpoint, allowed.text)
        webui.clock.advance(3601)  # the session expires
        expired = await http.post("/api/v2/torrents/info")
        assert (expired.status_code, expired.text) == (403, "Forbidden")
