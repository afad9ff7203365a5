"""Bad input gets qBittorrent's status codes and plain-text bodies (sample numbers from the
4.5.2 capture); nothing crashes, nothing stored is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.payloads import make_torrent
from tests.support.waiting import eventually
from tests.support.webui import WebUI, login

UNKNOWN = "0" * 40


@pytest.fixture
async def http(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as client:
        assert (await login(client)).text == "Ok."
        yield client


async def added(http: httpx.AsyncClient, tmp_path: Path) -> str:
    torrent, _ = make_torrent(tmp_path / "src", "Thing", {"Thing": 40_000})
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"savepath": str(tmp_path / "src"), "paused": "TRUE"},
        files={"torrents": ("thing.torrent", torrent)},
    )
    assert reply.text == "Ok."
    return str((await http.get("/api/v2/torrents/info")).json()[0]["hash"])


@pytest.mark.parametrize(
    ("method", "endpoint", "params", "status", "body"),
    [
        ("GET", "torrents/properties", {"hash": UNKNOWN}, 404, "Not Found"),  # sample 29
        ("GET", "torrents/properties", {}, 400, "Bad Request"),  # sample 30
        ("GET", "torrents/files", {"hash": UNKNOWN}, 404, "Not Found"),
        ("GET", "torrents/trackers", {"hash": UNKNOWN}, 404, "Not Found"),
        ("GET", "sync/torrentPeers", {"hash": UNKNOWN}, 404, "Not Found"),
        ("POST", "torrents/delete", {"hashes": UNKNOWN}, 400, "Bad Request"),  # sample 67
        ("GET", "torrents/pause", {"hashes": "all"}, 405, "Method Not Allowed"),  # sample 31
        ("POST", "torrents/setCategory", {"hashes": "all", "category": "nope"}, 409,
         "Incorrect category name"),  # sample 34
        ("POST", "torrents/createCategory", {"category": "a//b"}, 409, "Incorrect category name"),
        ("POST", "torrents/createCategory", {"category": ""}, 400, "Category cannot be empty"),
        ("GET", "torrents/info", {"sort": "no_such_field"}, 200, "[]"),  # empty: no check
        ("POST", "torrents/setShareLimits", {"hashes": "all", "ratioLimit": "x",
                                              "seedingTimeLimit": "1"}, 400, None),
        ("POST", "app/setPreferences", {"json": "{not json"}, 400, None),
        ("POST", "torrents/addPeers", {"hashes": "all", "peers": "nonsense"}, 400, None),
        ("GET", "torrents/info", {"limit": "ten"}, 400, None),
        ("GET", "sync/maindata", {"rid": "x"}, 400, None),
    ],
)  # fmt: skip
async def test_error_replies(http, method, endpoint, params, status, body):
    if method == "GET":
        reply = await http.get(f"/api/v2/{endpoint}", params=params)
    else:
        reply = await http.post(f"/api/v2/{endpoint}", data=params)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(("text/plain", "application/json"))
    if body is not None:
        assert reply.text == body


async def test_invalid_torrent_file_is_415_and_changes_nothing(http, tmp_path):
    hash_ = await added(http, tmp_path)
    reply = await http.post(
        "/api/v2/torrents/add", files={"torrents": ("bogus.torrent", b"d4:infoi3ee")}
    )
    assert reply.status_code == 415  # sample 13
    assert reply.text == "Error: 'bogus.torrent' is not a valid torrent file."
    assert [t["hash"] for t in (await http.get("/api/v2/torrents/info")).json()] == [hash_]


async def test_add_nothing_duplicate_and_bad_url_are_fails(http, tmp_path):
    await added(http, tmp_path)
    torrent, _ = make_torrent(tmp_path / "src", "Thing", {"Thing": 40_000})
    assert (await http.post("/api/v2/torrents/add", data={})).text == "Fails."  # sample 14
    duplicate = await http.post("/api/v2/torrents/add", files={"torrents": ("t", torrent)})
    assert duplicate.text == "Fails."  # sample 15
    assert (await http.post("/api/v2/torrents/add", data={"urls": "not a url"})).text == "Fails."


async def test_sort_on_an_unknown_field_with_results_is_400(http, tmp_path):
    await added(http, tmp_path)
    reply = await http.get("/api/v2/torrents/info", params={"sort": "no_such_field"})
    assert (reply.status_code, reply.text) == (400, "'sort' parameter is invalid")  # sample 24


async def test_info_filters_sorting_and_paging(http, tmp_path):
    hashes = []
    for name in ("b-two", "a-one", "c-three"):
        torrent, _ = make_torrent(tmp_path / "src", name, {name: 20_000})
        reply = await http.post(
            "/api/v2/torrents/add",
            data={"paused": "true", "category": "cat" if name != "c-three" else "",
                  "tags": "t1" if name == "a-one" else ""},
            files={"torrents": (name, torrent)},
        )  # fmt: skip
        assert reply.text == "Ok."

    async def settled() -> Any:  # libtorrent reports checkingResumeData first
        info = (await http.get("/api/v2/torrents/info", params={"sort": "name"})).json()
        assert {t["state"] for t in info} == {"pausedDL"}, info
        return info

    info = await eventually(settled)
    hashes = [t["hash"] for t in info]
    assert [t["name"] for t in info] == ["a-one", "b-two", "c-three"]

    async def names(**params: str) -> list[str]:
        reply = await http.get("/api/v2/torrents/info", params={"sort": "name", **params})
        assert reply.status_code == 200
        return [t["name"] for t in reply.json()]

    assert await names(reverse="true", limit="1") == ["c-three"]  # sample 23
    assert await names(offset="-1") == ["c-three"]  # sample 25
    assert await names(category="cat") == ["a-one", "b-two"]
    assert await names(category="") == ["c-three"]  # uncategorised
    assert await names(tag="t1") == ["a-one"]
    assert await names(tag="") == ["b-two", "c-three"]  # untagged
    assert await names(hashes=f"{hashes[2]}|{UNKNOWN}") == ["c-three"]  # sample 28
    assert await names(filter="paused") == ["a-one", "b-two", "c-three"]
    assert await names(filter="resumed") == []
    assert await names(filter="downloading") == ["a-one", "b-two", "c-three"]
    assert await names(filter="no-such-filter") == ["a-one", "b-two", "c-three"]
    post = await http.post("/api/v2/torrents/info", data={"sort": "name", "limit": "2"})
    assert [t["name"] for t in post.json()] == ["a-one", "b-two"]  # reads accept POST
    assert (await http.get("/api/v2/torrents/count")).text == "3"
