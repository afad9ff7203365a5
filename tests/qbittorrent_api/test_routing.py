"""Routing and authentication as qBittorrent 4.6/5.1 answer them: login, cookie, logout,
sessions expiring, bans, 403 without a session on every endpoint, 404, 405, CSRF and Host
checks (the samples of qbittorrent-webapi-notes.md §1)."""

from __future__ import annotations

import httpx
import pytest

from tests.qbittorrent_api.qbt import PORT, MakeQbt, Qbt, login

BANNED = "Your IP address has been banned after too many failed authentication attempts."
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-xss-protection")


async def test_login_sets_the_session_cookie_and_logout_ends_it(qbt: Qbt):
    async with qbt.client() as http:
        denied = await http.get("/api/v2/app/version")
        assert (denied.status_code, denied.text) == (403, "Forbidden")
        assert denied.headers["content-type"] == "text/plain; charset=UTF-8"
        assert all(h in denied.headers for h in SECURITY_HEADERS)
        assert (await login(http, "nope")).text == "Fails."
        good = await login(http)
        assert (good.status_code, good.text) == (200, "Ok.")
        cookie = good.headers["set-cookie"]
        assert cookie.startswith("SID=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "path=/" in cookie.lower()
        assert len(http.cookies["SID"]) == 32
        assert (await login(http, "wrong")).text == "Ok."  # a live session is enough
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"
        assert (await http.post("/api/v2/app/webapiVersion")).text == "2.9.3"  # reads take POST
        out = await http.post("/api/v2/auth/logout")
        assert (out.status_code, out.text) == (200, "")
        assert (await http.get("/api/v2/app/version")).status_code == 403


async def test_a_session_expires_without_requests(qbt: Qbt):
    async with qbt.client() as http:
        await login(http)
        sid = http.cookies["SID"]
        qbt.clock.advance(3000)
        assert (await http.get("/api/v2/app/version")).status_code == 200  # refreshed
        qbt.clock.advance(3601)
        assert (await http.get("/api/v2/app/version")).status_code == 403
    async with qbt.client(cookies={"SID": sid}) as http:
        assert (await http.get("/api/v2/app/version")).status_code == 403


async def test_failed_logins_ban_the_address_and_a_good_one_clears_the_count(qbt: Qbt):
    async with qbt.client() as http:
        for _ in range(2):
            assert (await login(http, "bad")).text == "Fails."
        assert (await login(http)).text == "Ok."  # clears the count
        await http.post("/api/v2/auth/logout")
        for _ in range(3):
            assert (await login(http, "bad")).text == "Fails."
        for password in ("bad", "correct horse battery"):  # banned: even the right password
            reply = await login(http, password)
            assert (reply.status_code, reply.text) == (403, BANNED)
        qbt.clock.advance(61)
        assert (await login(http)).text == "Ok."


@pytest.mark.parametrize("persona", ["4.6", "5.1"])
async def test_every_registered_endpoint_needs_a_session(make_qbt: MakeQbt, persona: str):
    qbt = make_qbt(persona)
    endpoints = sorted(qbt.api.handlers)
    assert endpoints
    async with qbt.client() as anonymous:
        for endpoint in endpoints:
            for method in ("GET", "POST"):
                reply = await anonymous.request(method, f"/api/v2/{endpoint}")
                assert (reply.status_code, reply.text) == (403, "Forbidden"), (method, endpoint)
                forged = await anonymous.request(
                    method, f"/api/v2/{endpoint}", headers={"Cookie": "SID=made-up-session-id"}
                )
                assert forged.status_code == 403, (method, endpoint)
    async with qbt.client() as http:
        await login(http)
        for endpoint in endpoints:
            if endpoint == "app/shutdown":
                continue
            allowed = await http.post(f"/api/v2/{endpoint}")
            assert allowed.status_code not in (401, 403, 500), (endpoint, allowed.text)


async def test_without_a_session_even_unknown_endpoints_are_forbidden(qbt: Qbt):
    async with qbt.client() as http:
        for path in ("/api/v2/app/noSuchAction", "/api/v2/auth/logout", "/api/v2/app/shutdown"):
            reply = await http.post(path)
            assert (reply.status_code, reply.text) == (403, "Forbidden"), path


@pytest.mark.parametrize(
    ("persona", "method", "path", "status", "body"),
    [
        ("4.6", "GET", "/api/v2/auth/login", 405, "Method Not Allowed"),
        ("4.6", "PUT", "/api/v2/app/version", 405, "Method Not Allowed"),
        ("4.6", "DELETE", "/api/v2/torrents/info", 405, "Method Not Allowed"),
        ("4.6", "GET", "/api/v2/app/shutdown", 405, "Method Not Allowed"),
        ("4.6", "GET", "/api/v2/torrents/pause", 405, "Method Not Allowed"),  # sample 31
        ("4.6", "GET", "/api/v2/torrents/delete", 405, "Method Not Allowed"),
        ("4.6", "GET", "/api/v2/app/noSuchAction", 404, "Not Found"),
        ("4.6", "GET", "/api/v2/nosuchscope/version", 404, "Not Found"),
        ("4.6", "POST", "/api/v2/torrents/stop", 404, "Not Found"),  # 5.x vocabulary under 4.6
        ("5.1", "POST", "/api/v2/torrents/pause", 404, "Not Found"),  # gone in 5.x
        ("5.1", "GET", "/api/v2/torrents/stop", 405, "Method Not Allowed"),
        ("5.1", "GET", "/api/v2/app/version", 200, "v5.1.4"),
    ],
)
async def test_methods_and_unknown_endpoints(make_qbt: MakeQbt, persona, method, path, status,
                                             body):  # fmt: skip
    async with make_qbt(persona).client() as http:
        await login(http)
        reply = await http.request(method, path)
        assert (reply.status_code, reply.text) == (status, body)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example.com"}, 401),
        ({"Referer": "http://evil.example.com/page"}, 401),
        ({"Host": "localhost:9999"}, 401),
        ({"Host": f"evil.example.com:{PORT}"}, 200),  # server_domains "*": any name, our port
        ({"Origin": f"http://localhost:{PORT}", "Referer": f"http://localhost:{PORT}/"}, 200),
        ({}, 200),
    ],
)
async def test_cross_site_and_host_checks(http: httpx.AsyncClient, headers, status):
    reply = await http.get("/api/v2/app/version", headers=headers)
    assert reply.status_code == status
    if status == 401:
        assert reply.text == "Unauthorized"


async def test_cross_site_login_is_refused_too(qbt: Qbt):
    async with qbt.client() as http:
        reply = await http.post(
            "/api/v2/auth/login",
            data={"username": "admin", "password": "correct horse battery"},
            headers={"Origin": "http://evil.example.com"},
        )
        assert (reply.status_code, reply.text) == (401, "Unauthorized")
        assert "SID" not in http.cookies


async def test_loopback_is_exempt_when_localhost_auth_is_off(make_qbt: MakeQbt):
    async with make_qbt(localhost_auth=False).client() as http:
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"
