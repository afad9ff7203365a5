"""Paths in requests are taken as qBittorrent takes them: relative ones below the default save
path (never the server's working directory), a NUL byte refused (never cut short)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.support.payloads import make_torrent
from tests.support.waiting import eventually
from tests.support.webui import WebUI, login

pytestmark = pytest.mark.database  # the store runs on SQLite and on PostgreSQL


async def add(http: httpx.AsyncClient, torrent: bytes, **fields: str) -> httpx.Response:
    return await http.post(
        "/api/v2/torrents/add",
        data={"paused": "true", **fields},
        files={"torrents": ("t.torrent", torrent)},
    )


async def properties(http: httpx.AsyncClient, hash_: str) -> dict:
    return (await http.get("/api/v2/torrents/properties", params={"hash": hash_})).json()


async def test_relative_paths_lie_below_the_default_save_path(
    webui: WebUI, tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where a path resolved against the working directory would go
    torrent, _ = make_torrent(tmp_path / "src", "Rel", {"Rel": 20_000})
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        default = (await http.get("/api/v2/app/defaultSavePath")).text
        assert (await add(http, torrent, savepath="rel/dir", downloadPath="inc")).text == "Ok."
        (info,) = (await http.get("/api/v2/torrents/info")).json()
        assert Path(info["save_path"]) == Path(default) / "rel" / "dir"
        assert Path(info["download_path"]) == Path(default) / "inc"
        assert not (tmp_path / "rel").exists()
        moved = await http.post(
            "/api/v2/torrents/setLocation", data={"hashes": info["hash"], "location": "moved"}
        )
        assert moved.status_code == 200

        async def moved_below_default() -> None:
            props = await properties(http, info["hash"])
            assert Path(props["save_path"]) == Path(default) / "moved"

        await eventually(moved_below_default)
        assert (Path(default) / "moved").is_dir()
        assert not (tmp_path / "moved").exists()
        assert os.getcwd() == str(tmp_path)


async def test_a_path_with_a_nul_byte_is_refused_and_nothing_is_made(webui: WebUI, tmp_path: Path):
    torrent, _ = make_torrent(tmp_path / "src", "Nul", {"Nul": 20_000})
    target = tmp_path / "target"
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        refused = await add(http, torrent, savepath=f"{target}/a\x00b", category="nulcat")
        assert (refused.status_code, refused.text) == (200, "Fails.")
        assert (await http.get("/api/v2/torrents/info")).json() == []
        assert "nulcat" not in (await http.get("/api/v2/torrents/categories")).json()
        assert not target.exists()
        assert (await add(http, torrent)).text == "Ok."
        (info,) = (await http.get("/api/v2/torrents/info")).json()
        for endpoint, field in (
            ("setLocation", "location"),
            ("setSavePath", "path"),
            ("setDownloadPath", "path"),
        ):
            reply = await http.post(
                f"/api/v2/torrents/{endpoint}",
                data={"hashes" if endpoint == "setLocation" else "id": info["hash"],
                      field: f"{target}/x\x00y"},
            )  # fmt: skip
            assert reply.status_code == 409, (endpoint, reply.status_code, reply.text)
        created = await http.post(
            "/api/v2/torrents/createCategory", data={"category": "c", "savePath": "a\x00b"}
        )
        assert created.status_code == 409
        assert not target.exists()
        props = await properties(http, info["hash"])
        assert "\x00" not in props["save_path"]
