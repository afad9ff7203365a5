"""Decypharr's /api on the bridge, in-process: both ways in (Bearer token, `auth-session`
cookie from /login), /api/add's multipart fields, /api/torrents and its deletes, /api/arrs,
and an auth matrix over every route the app serves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tests.support.debrid_memory import MemoryProvider
from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.waiting import eventually
from torrentstack.config.debrid import DebridSettings
from torrentstack.debrid.runtime import DebridRuntime
from torrentstack.qbittorrent_api.auth import hash_password

pytestmark = pytest.mark.database

TOKEN = "f" * 64
PASSWORD = "bridge password"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def content() -> Content:
    return episode()


@pytest.fixture
async def runtime(debrid_database, clock, tmp_path: Path, content) -> AsyncIterator[DebridRuntime]:
    provider = MemoryProvider(name="realdebrid", catalogue=[content, single_file()],
                              cached={content.info_hash})  # fmt: skip
    settings = DebridSettings(download_folder=str(tmp_path / "dl"), download_action="none",
                              arrs=[{"name": "sonarr", "host": "http://s:8989", "token": "k" * 32}])  # fmt: skip
    rt = DebridRuntime(
        settings, database=debrid_database, data_dir=tmp_path, clock=clock, stop=asyncio.Event(),
        providers=[provider], password_hash=hash_password(PASSWORD), api_token=TOKEN,
    )  # fmt: skip
    rt.listeners = await rt.start(Starlette())  # type: ignore[attr-defined]
    yield rt
    await rt.close()


@pytest.fixture
async def http(runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.listeners[0].app), base_url="http://localhost"
    ) as client:
        yield client


async def test_add_with_the_documented_fields_and_list_and_delete(http, runtime, content):
    reply = await http.post(
        "/api/add", headers=BEARER,
        data={"arr": "sonarr", "debrid": "realdebrid", "urls": content.magnet,
              "downloadUncached": "false", "callbackUrl": "http://cb.test/done"},
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    result = reply.json()["results"][0]
    assert result["magnet"]["infoHash"] == content.info_hash
    assert result["debrid"] == "realdebrid" and result["arr"]["name"] == "sonarr"
    assert "token" not in result["arr"] and "k" * 32 not in reply.text
    item = runtime.bridge.items[content.info_hash]
    assert item.callback_url == "http://cb.test/done"
    await eventually(lambda: item.finished)
    torrents = (await http.get("/api/torrents", headers=BEARER)).json()
    assert torrents[0]["hash"] == content.info_hash and torrents[0]["state"] == "pausedUP"
    assert torrents[0]["debrid"] == "realdebrid" and torrents[0]["category"] == "sonarr"
    gone = await http.delete(f"/api/torrents/sonarr/{content.info_hash}", headers=BEARER)
    assert gone.status_code == 200
    assert (await http.get("/api/torrents", headers=BEARER)).json() == []
    again = await http.delete(f"/api/torrents/sonarr/{content.info_hash}", headers=BEARER)
    assert again.status_code == 404 and again.json() == {"error": "Torrent not found"}


async def test_a_torrent_file_part_and_many_deletes(http, runtime):
    movie = single_file()
    runtime.providers[0].cached.add(movie.info_hash)
    reply = await http.post(
        "/api/add", headers=BEARER, data={"arr": "radarr"},
        files={"file": ("m.torrent", movie.torrent, "application/x-bittorrent")},
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert (await http.delete("/api/torrents", headers=BEARER)).status_code == 400
    many = await http.delete(
        "/api/torrents/", params={"hashes": f"{movie.info_hash},{'0' * 40}"}, headers=BEARER
    )
    assert many.status_code == 200 and runtime.bridge.items == {}


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"urls": "magnet:?xt=urn:btih:nothex"}, None, "magnet"),
        ({"urls": "http://example.invalid/x.torrent"}, None, "not a magnet"),
        (
            {},
            {"file": ("x.torrent", b"d4:spam", "application/x-bittorrent")},
            "not a valid torrent",
        ),
        ({"urls": "", "arr": "sonarr"}, None, "give `urls`"),
        ({"urls": "MAGNET", "debrid": "nope"}, None, "unknown debrid provider"),
        ({"urls": "MAGNET", "action": "teleport"}, None, "unknown action"),
    ],
)
async def test_bad_input_is_400_with_a_json_error(http, content, fields, files, message):
    fields = {k: v.replace("MAGNET", content.magnet) for k, v in fields.items()}
    reply = await http.post(
        "/api/add", headers=BEARER, data=fields, files=files or {"x": ("", b"")}
    )
    assert reply.status_code == 400
    assert message in reply.json()["error"]


async def test_an_uncached_torrent_is_400_with_the_services_reason(http, runtime):
    other = episode("Other.S01E01.720p-GRP")
    runtime.providers[0].catalogue.append(other)
    reply = await http.post("/api/add", headers=BEARER, data={"urls": other.magnet})
    assert reply.status_code == 400 and "not cached" in reply.json()["error"]


async def test_login_sets_the_session_cookie_that_opens_the_api(http):
    bad = await http.post("/login", json={"username": "admin", "password": "nope"})
    assert bad.status_code == 401 and bad.json() == {"error": "Invalid credentials"}
    assert (await http.post("/login", content=b"{not json")).status_code == 400
    good = await http.post("/login", json={"username": "admin", "password": PASSWORD})
    assert good.status_code == 303 and "auth-session" in good.cookies
    assert (await http.get("/api/arrs")).status_code == 200


async def test_arrs_lists_the_configured_arr_without_its_key(http):
    arrs = (await http.get("/api/arrs", headers=BEARER)).json()
    assert arrs == [{"name": "sonarr", "host": "http://s:8989", "type": "sonarr",
                     "cleanup": False, "skip_repair": False, "download_uncached": None,
                     "selected_debrid": "", "source": "manual"}]  # fmt: skip


def _routes(app: Starlette) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, Mount) and hasattr(route.app, "routes"):
            for inner in route.app.routes:
                if isinstance(inner, Route) and inner.path.startswith("/api/") and inner.methods:
                    found += [(m, inner.path) for m in sorted(inner.methods) if m != "HEAD"]
    return found


async def test_every_api_route_needs_credentials(http, runtime):
    routes = _routes(runtime.listeners[0].app)
    served = {path for _, path in routes}
    assert {"/api/arrs", "/api/add", "/api/torrents"} <= served
    for method, path in routes:
        if path in ("/api/docs", "/api/openapi.json"):
            continue
        url = path.replace("{category}", "sonarr").replace("{hash_}", "0" * 40).replace("{id}", "x")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Cookie": "auth-session=forged"}):  # fmt: skip
            reply = await http.request(method, url, headers=headers)
            assert reply.status_code == 401, (method, path, headers)
            assert "error" in reply.json()
        ok = await http.request(method, url, headers={"Authorization": f"Token {TOKEN}"})
        assert ok.status_code != 401, (method, path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["urls", "arr", "debrid", "action", "downloadUncached", "callbackUrl", "x"]
        ),
        st.text(max_size=80),
        max_size=6,
    ),
    blob=st.binary(max_size=300),
)
async def test_no_form_makes_the_add_fail_with_a_500(http, fields, blob):
    reply = await http.post("/api/add", headers=BEARER, data=fields,
                            files={"file": ("f.torrent", blob, "application/x-bittorrent")})  # fmt: skip
    assert reply.status_code in (200, 400), reply.text
    assert isinstance(reply.json(), dict)
