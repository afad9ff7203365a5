"""What a torrent or a magnet brings in from outside reaches the API as qBittorrent shows it,
and nothing odd in it stops the engine: names that are not UTF-8, padding files, comments."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.waiting import eventually
from tests.support.webui import WebUI, login
from torrentstack.cli.torrent_builder import CreateOptions, build_torrent

pytestmark = pytest.mark.database  # the store runs on SQLite and on PostgreSQL

BAD_DN = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=%FF%FEbad%20name"


def hybrid_torrent(root: Path, comment: str) -> bytes:
    """Two files in a hybrid torrent: BEP 47 padding follows each (libtorrent lists those)."""
    (root / "Pad").mkdir(parents=True)
    (root / "Pad" / "a.bin").write_bytes(b"\x01" * 50_000)
    (root / "Pad" / "b.bin").write_bytes(b"\x02" * 70_000)
    options = CreateOptions(version="hybrid", piece_length=16_384, comment=comment)
    return build_torrent(root / "Pad", options)


async def test_a_magnet_name_that_is_not_utf8_stops_nothing(webui: WebUI, tmp_path: Path):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        added = await http.post("/api/v2/torrents/add", data={"urls": BAD_DN, "paused": "true"})
        assert added.text == "Ok."
        torrent = hybrid_torrent(tmp_path, "fine")
        reply = await http.post(
            "/api/v2/torrents/add", files={"torrents": ("pad.torrent", torrent)}
        )
        assert reply.text == "Ok."

        async def both_shown_and_the_file_one_checked() -> None:
            info = {t["name"]: t for t in (await http.get("/api/v2/torrents/info")).json()}
            assert "\ufffd\ufffdbad name" in info, sorted(info)  # replacement characters
            # the other torrent's status updates still arrive: its data is checked and missing
            assert info["Pad"]["state"] not in ("checkingResumeData", "unknown"), info["Pad"]

        await eventually(both_shown_and_the_file_one_checked)
        maindata = await http.get("/api/v2/sync/maindata", params={"rid": 0})
        assert maindata.status_code == 200
        assert len(maindata.json()["torrents"]) == 2


async def test_padding_files_are_hidden_and_indexes_are_qbittorrents(webui: WebUI, tmp_path: Path):
    torrent = hybrid_torrent(tmp_path, "made for the test")
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        reply = await http.post(
            "/api/v2/torrents/add",
            data={"paused": "true"},
            files={"torrents": ("pad.torrent", torrent)},
        )
        assert reply.text == "Ok."
        (info,) = (await http.get("/api/v2/torrents/info")).json()
        hash_ = info["hash"]
        files = (await http.get("/api/v2/torrents/files", params={"hash": hash_})).json()
        assert [(f["index"], f["name"], f["size"]) for f in files] == [
            (0, "Pad/a.bin", 50_000),
            (1, "Pad/b.bin", 70_000),
        ]
        # index 1 is b.bin (libtorrent's index 2: a padding file sits between)
        await http.post(
            "/api/v2/torrents/filePrio", data={"hash": hash_, "id": "1", "priority": "0"}
        )
        files = (await http.get("/api/v2/torrents/files", params={"hash": hash_})).json()
        assert [f["priority"] for f in files] == [1, 0]
        bad = await http.post(
            "/api/v2/torrents/filePrio", data={"hash": hash_, "id": "2", "priority": "0"}
        )
        assert bad.status_code == 409  # only two files to qBittorrent
        props = (await http.get("/api/v2/torrents/properties", params={"hash": hash_})).json()
        assert props["comment"] == "made for the test"
        assert props["created_by"].startswith("torrentstack ")
        assert props["creation_date"] > 0


async def test_comment_survives_a_restart(start_webui, tmp_path: Path):
    data = tmp_path / "state"
    first = await start_webui(data)
    torrent = hybrid_torrent(tmp_path, "kept across restarts")
    async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        await http.post(
            "/api/v2/torrents/add",
            data={"paused": "true"},
            files={"torrents": ("pad.torrent", torrent)},
        )
        (info,) = (await http.get("/api/v2/torrents/info")).json()
    first.stop.set()
    await asyncio.sleep(0)
    await first.runtime.backend.close()
    again = await start_webui(data)
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."

        async def restored() -> dict:
            props = await http.get("/api/v2/torrents/properties", params={"hash": info["hash"]})
            assert props.status_code == 200
            return props.json()

        props = await eventually(restored)
        assert props["comment"] == "kept across restarts"
