"""A few happy paths per API module, as a client (Sonarr, qbittorrent-api) drives them."""

from __future__ import annotations

import json

import httpx

from tests.support.qbittorrent_api import Qbt, torrent_file

MAGNET_HASH = "c" * 40


async def add(http: httpx.AsyncClient, name: str, **data: str) -> str:
    files = {"torrents": (f"{name}.torrent", torrent_file(name))}
    reply = await http.post("/api/v2/torrents/add", data=data, files=files)
    assert (reply.status_code, reply.text) == (200, "Ok.")
    info = (await http.get("/api/v2/torrents/info")).json()
    return str(next(t["hash"] for t in info if t["name"] == name))


async def test_add_info_properties_delete(http: httpx.AsyncClient):
    hash_ = await add(http, "Album", category="music", tags="a,b", paused="true")
    magnet = await http.post(
        "/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{MAGNET_HASH}&dn=Mag"}
    )
    assert magnet.text == "Ok."
    info = (await http.get("/api/v2/torrents/info", params={"sort": "name"})).json()
    assert [t["name"] for t in info] == ["Album", "Mag"]
    album = info[0]
    assert (album["hash"], album["category"], album["tags"]) == (hash_, "music", "a, b")
    assert (await http.get("/api/v2/torrents/count")).text == "2"
    only = await http.get("/api/v2/torrents/info", params={"category": "music"})
    assert [t["hash"] for t in only.json()] == [hash_]
    props = (await http.get("/api/v2/torrents/properties", params={"hash": hash_})).json()
    assert props["hash"] == hash_
    assert (await http.get("/api/v2/torrents/categories")).json()["music"]["name"] == "music"
    assert sorted((await http.get("/api/v2/torrents/tags")).json()) == ["a", "b"]
    deleted = await http.post(
        "/api/v2/torrents/delete", data={"hashes": f"{hash_}|{MAGNET_HASH}", "deleteFiles": "false"}
    )
    assert (deleted.status_code, deleted.text) == (200, "")
    assert (await http.get("/api/v2/torrents/info")).json() == []


async def test_url_adds_answer_ok_at_once(http: httpx.AsyncClient):
    reply = await http.post(
        "/api/v2/torrents/add", data={"urls": "http://127.0.0.1:9/x.torrent", "cookie": "a=b"}
    )
    assert reply.text == "Ok."  # queued; the download happens in the backend, afterwards


async def test_categories_create_edit_set_remove(http: httpx.AsyncClient):
    hash_ = await add(http, "Show")
    created = await http.post(
        "/api/v2/torrents/createCategory", data={"category": "tv", "savePath": "/tv"}
    )
    assert (created.status_code, created.text) == (200, "")
    again = await http.post("/api/v2/torrents/createCategory", data={"category": "tv"})
    assert again.status_code == 409
    edited = await http.post(
        "/api/v2/torrents/editCategory", data={"category": "tv", "savePath": "/series"}
    )
    assert edited.status_code == 200
    categories = (await http.get("/api/v2/torrents/categories")).json()
    assert categories["tv"]["savePath"] == "/series"
    await http.post("/api/v2/torrents/setCategory", data={"hashes": hash_, "category": "tv"})
    info = (await http.get("/api/v2/torrents/info", params={"category": "tv"})).json()
    assert [t["hash"] for t in info] == [hash_]
    await http.post("/api/v2/torrents/removeCategories", data={"categories": "tv"})
    assert "tv" not in (await http.get("/api/v2/torrents/categories")).json()
    info = (await http.get("/api/v2/torrents/info", params={"hashes": hash_})).json()
    assert info[0]["category"] == ""


async def test_tags_create_add_remove_delete(http: httpx.AsyncClient):
    hash_ = await add(http, "Film")
    await http.post("/api/v2/torrents/createTags", data={"tags": "x,y"})
    assert sorted((await http.get("/api/v2/torrents/tags")).json()) == ["x", "y"]
    await http.post("/api/v2/torrents/addTags", data={"hashes": hash_, "tags": "x,z"})
    info = (await http.get("/api/v2/torrents/info", params={"tag": "z"})).json()
    assert [t["hash"] for t in info] == [hash_]
    await http.post("/api/v2/torrents/removeTags", data={"hashes": hash_, "tags": "z"})
    assert (await http.get("/api/v2/torrents/info", params={"tag": "z"})).json() == []
    await http.post("/api/v2/torrents/deleteTags", data={"tags": "x"})
    assert "x" not in (await http.get("/api/v2/torrents/tags")).json()
    untagged = (await http.get("/api/v2/torrents/info", params={"tag": ""})).json()
    assert [t["hash"] for t in untagged] == [hash_]


async def test_actions_and_edits(http: httpx.AsyncClient, qbt: Qbt):
    hash_ = await add(http, "Game")
    ok = {"hashes": hash_}
    assert (await http.post("/api/v2/torrents/pause", data=ok)).status_code == 200
    assert (await http.post("/api/v2/torrents/resume", data=ok)).status_code == 200
    limit = await http.post("/api/v2/torrents/setDownloadLimit", data={**ok, "limit": "1000"})
    assert limit.status_code == 200
    limits = (await http.post("/api/v2/torrents/downloadLimit", data=ok)).json()
    renamed = await http.post("/api/v2/torrents/rename", data={"hash": hash_, "name": "New"})
    info = (await http.get("/api/v2/torrents/info", params={"hashes": hash_})).json()
    if "torrents/rename" in qbt.api.handlers:  # an engine with limits and edits
        assert limits == {hash_: 1000}
        assert renamed.status_code == 200 and info[0]["name"] == "New"
    else:  # the debrid bridge: limits accepted and without effect, no editing part
        assert limits == {hash_: 0}
        assert (renamed.status_code, renamed.text) == (404, "Not Found")
        assert info[0]["name"] == "Game"
    exported = await http.get("/api/v2/torrents/export", params={"hash": hash_})
    assert exported.headers["content-type"] == "application/x-bittorrent"


async def test_maindata_sends_changes_only(http: httpx.AsyncClient):
    first = (await http.get("/api/v2/sync/maindata", params={"rid": 0})).json()
    assert first["full_update"] is True
    assert "server_state" in first
    hash_ = await add(http, "Book")
    second = (await http.get("/api/v2/sync/maindata", params={"rid": first["rid"]})).json()
    assert "full_update" not in second
    assert list(second["torrents"]) == [hash_]
    third = (await http.get("/api/v2/sync/maindata", params={"rid": second["rid"]})).json()
    assert "torrents" not in third


async def test_app_and_transfer(http: httpx.AsyncClient):
    assert (await http.get("/api/v2/app/defaultSavePath")).text
    assert isinstance((await http.get("/api/v2/app/buildInfo")).json(), dict)
    prefs = (await http.get("/api/v2/app/preferences")).json()
    assert "save_path" in prefs
    new = json.dumps({"dl_limit": 2048, "no_such_key": 1})
    assert (await http.post("/api/v2/app/setPreferences", data={"json": new})).status_code == 200
    prefs = (await http.get("/api/v2/app/preferences")).json()
    assert prefs["dl_limit"] == 2048 and "no_such_key" not in prefs
    assert set((await http.get("/api/v2/transfer/info")).json()) >= {
        "dl_info_speed", "up_info_speed", "connection_status"
    }  # fmt: skip
    assert (await http.get("/api/v2/transfer/speedLimitsMode")).text == "0"
    await http.post("/api/v2/transfer/toggleSpeedLimitsMode")
    assert (await http.get("/api/v2/transfer/speedLimitsMode")).text == "1"
    await http.post("/api/v2/transfer/setSpeedLimitsMode", data={"mode": "0"})
    assert (await http.get("/api/v2/transfer/speedLimitsMode")).text == "0"
    assert isinstance((await http.get("/api/v2/log/main")).json(), list)
    assert isinstance((await http.get("/api/v2/log/peers")).json(), list)
