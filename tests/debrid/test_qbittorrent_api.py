"""The bridge's qBittorrent API as Sonarr/Radarr call it, in-process over a memory provider:
the arr login (its URL and key), categories, adds, the item's states, files, deletes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.debrid_memory import MemoryProvider
from tests.support.debrid_services.catalogue import Content, episode
from tests.support.waiting import eventually
from torrentstack.config.debrid import DebridSettings
from torrentstack.debrid.runtime import DebridRuntime
from torrentstack.qbittorrent_api.auth import hash_password

pytestmark = pytest.mark.database

SONARR = "http://sonarr.test:8989"
SONARR_KEY = "0123456789abcdef0123456789abcdef"
OWN_PASSWORD = "bridge password"


async def arr_check(host: str, token: str) -> bool:
    return (host, token) == (SONARR, SONARR_KEY)


@pytest.fixture
def content() -> Content:
    return episode()


@pytest.fixture
async def runtime(debrid_database, clock, tmp_path: Path, content) -> AsyncIterator[DebridRuntime]:
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    settings = DebridSettings(
        download_folder=str(tmp_path / "downloads"), download_action="download"
    )
    rt = DebridRuntime(
        settings, database=debrid_database, data_dir=tmp_path, clock=clock, stop=asyncio.Event(),
        providers=[provider], password_hash=hash_password(OWN_PASSWORD), api_token="t" * 32,
        arr_check=arr_check,
    )  # fmt: skip
    rt.listeners = await rt.start(Starlette())  # type: ignore[attr-defined]
    yield rt
    await rt.close()


@pytest.fixture
async def http(runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = runtime.listeners[0].app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8282"
    ) as client:
        yield client


async def _login(http: httpx.AsyncClient, user: str = SONARR, password: str = SONARR_KEY) -> str:
    reply = await http.post("/api/v2/auth/login", data={"username": user, "password": password})
    return reply.text


async def test_an_arr_logs_in_with_its_url_and_key_and_gets_an_opaque_cookie(http):
    assert await _login(http) == "Ok."
    sid = http.cookies.get("SID")
    assert sid and SONARR_KEY not in sid and "sonarr" not in sid
    assert (await http.get("/api/v2/app/webapiVersion")).status_code == 200


async def test_a_wrong_key_and_an_unknown_user_are_refused_as_qbittorrent_does(http):
    assert await _login(http, SONARR, "wrong") == "Fails."
    assert await _login(http, "someone", "x") == "Fails."
    assert (await http.get("/api/v2/torrents/info")).status_code == 403


async def test_the_bridge_user_logs_in_too(http):
    assert await _login(http, "admin", OWN_PASSWORD) == "Ok."


async def test_sonarrs_calls_take_an_episode_to_paused_up(http, runtime, content, tmp_path):
    assert await _login(http) == "Ok."
    version = (await http.get("/api/v2/app/version")).text
    assert version.startswith("v4.")
    prefs = (await http.get("/api/v2/app/preferences")).json()
    assert prefs["save_path"] == str(tmp_path / "downloads")
    categories = (await http.get("/api/v2/torrents/categories")).json()
    assert "sonarr" in categories
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"urls": content.magnet, "category": "sonarr", "paused": "false"},
    )
    assert reply.status_code == 200 and reply.text == "Ok."
    assert runtime.arrs.get("sonarr") is not None  # learnt from the session's login
    assert runtime.arrs.get("sonarr").token == SONARR_KEY

    async def finished() -> dict:
        info = (await http.get("/api/v2/torrents/info", params={"category": "sonarr"})).json()
        return info[0] if info and info[0]["state"] == "pausedUP" else {}

    torrent = await eventually(finished)
    assert torrent["hash"] == content.info_hash and torrent["progress"] == 1
    assert torrent["content_path"] == str(tmp_path / "downloads" / "sonarr" / content.name)
    files = (await http.get("/api/v2/torrents/files", params={"hash": content.info_hash})).json()
    assert sorted(f["name"] for f in files) == sorted(f"{content.name}/{p}" for p in content.files)
    props = await http.get("/api/v2/torrents/properties", params={"hash": content.info_hash})
    assert props.status_code == 200 and props.json()["save_path"].endswith("sonarr")
    main = (await http.get("/api/v2/sync/maindata", params={"rid": 0})).json()
    assert main["torrents"][content.info_hash]["state"] == "pausedUP"
    for call in ("setShareLimits", "topPrio", "setForceStart", "pause", "resume", "recheck"):
        data = {"hashes": content.info_hash, "ratioLimit": "-2", "seedingTimeLimit": "-2",
                "value": "true"}  # fmt: skip
        assert (await http.post(f"/api/v2/torrents/{call}", data=data)).status_code in (200, 409)
    deleted = await http.post(
        "/api/v2/torrents/delete", data={"hashes": content.info_hash, "deleteFiles": "true"}
    )
    assert deleted.status_code == 200
    assert (await http.get("/api/v2/torrents/info")).json() == []
    assert not (tmp_path / "downloads" / "sonarr" / content.name).exists()


async def test_a_torrent_file_upload_and_tags(http, content):
    await _login(http)
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"category": "radarr", "tags": "a,b"},
        files={"torrents": ("x.torrent", content.torrent, "application/x-bittorrent")},
    )
    assert reply.text == "Ok."
    info = (await http.get("/api/v2/torrents/info", params={"hashes": content.info_hash})).json()
    assert info[0]["category"] == "radarr" and info[0]["tags"] == "a, b"


async def test_bad_input_is_refused_in_qbittorrent_terms(http):
    await _login(http)
    bad_file = await http.post(
        "/api/v2/torrents/add",
        files={"torrents": ("x.torrent", b"not bencode", "application/x-bittorrent")},
    )
    assert bad_file.status_code == 415
    assert (
        await http.post("/api/v2/torrents/add", data={"urls": "magnet:?xt=bad"})
    ).text == "Fails."
    unknown = await http.get("/api/v2/torrents/properties", params={"hash": "0" * 40})
    assert unknown.status_code == 404
    assert (await http.get("/api/v2/torrents/editTracker")).status_code == 404  # no editing part


async def test_an_uncached_add_answers_400_with_the_reason(http, runtime):
    await _login(http)
    other = episode("Other.Show.S02E01.720p.HDTV-GRP")
    runtime.providers[0].catalogue.append(other)
    reply = await http.post(
        "/api/v2/torrents/add", data={"urls": other.magnet, "category": "sonarr"}
    )
    assert reply.status_code == 400 and "not cached" in reply.text
    assert (await http.get("/api/v2/torrents/info")).json() == []


async def test_every_qbittorrent_endpoint_needs_a_session(http, runtime):
    endpoints = sorted(runtime.api.handlers)
    assert {"torrents/add", "torrents/info", "sync/maindata", "app/preferences"} <= set(endpoints)
    for endpoint in endpoints:
        for method in ("GET", "POST"):
            reply = await http.request(method, f"/api/v2/{endpoint}")
            assert reply.status_code == 403, (method, endpoint)


async def test_the_webdav_tree_needs_the_bridge_user_or_the_token(http):
    propfind = {"method": "PROPFIND", "url": "/webdav/", "headers": {"Depth": "1"}}
    assert (await http.request(**propfind)).status_code == 401
    wrong = httpx.BasicAuth("admin", "wrong")
    assert (await http.request(**propfind, auth=wrong)).status_code == 401
    basic = httpx.BasicAuth("admin", OWN_PASSWORD)
    listing = await http.request(**propfind, auth=basic)
    assert listing.status_code == 207 and b"memory" in listing.content
    token = {"Depth": "1", "Authorization": "Bearer " + "t" * 32}
    assert (await http.request("PROPFIND", "/webdav/", headers=token)).status_code == 207
    sonarr_key = httpx.BasicAuth(SONARR, SONARR_KEY)  # an arr's login is for the qBittorrent API
    assert (await http.request(**propfind, auth=sonarr_key)).status_code == 401
