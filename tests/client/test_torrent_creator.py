"""`torrentcreator/*` under persona 5.1: real hashing (compared with libtorrent's), status with
progress and times, the torrent file, seeding what was made, and qBittorrent's error answers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.libtorrent_reference import lt_create, lt_info_hashes
from tests.support.payloads import payload_bytes
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI, login
from torrentstack.bittorrent import metainfo
from torrentstack.client import torrent_creator

pytestmark = pytest.mark.libtorrent


@pytest.fixture
async def webui5(start_webui: StartWebUI) -> WebUI:
    return await start_webui(persona="5.1")


@pytest.fixture
async def http(webui5: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui5.url, timeout=10) as client:
        assert (await login(client)).text == "Ok."
        yield client


def content(root: Path) -> Path:
    album = root / "Album"
    (album / "sub").mkdir(parents=True)
    (album / "a.bin").write_bytes(payload_bytes("a", 300_000))
    (album / "sub" / "b.bin").write_bytes(payload_bytes("b", 70_000))
    return album


async def finished(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any]:
        (status,) = (
            await http.get("/api/v2/torrentcreator/status", params={"taskID": task_id})
        ).json()
        assert status["status"] in ("Finished", "Failed"), status
        return dict(status)

    return dict(await eventually(check, timeout=20))


@pytest.mark.parametrize("fmt", ["v1", "v2", "hybrid"])
async def test_created_torrent_is_libtorrents(http: httpx.AsyncClient, tmp_path: Path, fmt: str):
    album = content(tmp_path)
    params = {
        "sourcePath": str(album),
        "format": fmt,
        "pieceSize": "65536",
        "private": "true",
        "comment": "made here",
        "trackers": "http://t1.example/announce|http://t2.example/announce||http://t3.example/a",
        "urlSeeds": "http://seed.example/files/",
        "startSeeding": "false",
    }
    reply = await http.post("/api/v2/torrentcreator/addTask", data=params)
    assert reply.status_code == 200, reply.text
    task_id = reply.json()["taskID"]
    status = await finished(http, task_id)
    assert status["status"] == "Finished", status
    assert status["pieceSize"] == 65536 and status["format"] == fmt and status["private"] is True
    assert status["trackers"] == params["trackers"].split("|")
    assert status["urlSeeds"] == ["http://seed.example/files/"]
    assert status["comment"] == "made here"
    assert {"timeAdded", "timeStarted", "timeFinished"} <= status.keys()
    assert "progress" not in status and "errorMessage" not in status
    made = await http.get("/api/v2/torrentcreator/torrentFile", params={"taskID": task_id})
    assert made.status_code == 200
    assert made.headers["content-type"] == "application/x-bittorrent"
    reference = lt_create(
        album,
        fmt,
        65536,
        trackers=(("http://t1.example/announce", "http://t2.example/announce"),
                  ("http://t3.example/a",)),
        web_seeds=("http://seed.example/files/",),
        private=True,
    )  # fmt: skip
    assert lt_info_hashes(made.content) == lt_info_hashes(reference)
    # not seeding: startSeeding=false
    assert (await http.get("/api/v2/torrents/info")).json() == []


async def test_file_written_and_seeded(http: httpx.AsyncClient, tmp_path: Path):
    album = content(tmp_path)
    target = tmp_path / "out.torrent"
    reply = await http.post(
        "/api/v2/torrentcreator/addTask",
        data={"sourcePath": str(album), "torrentFilePath": str(target), "startSeeding": "true"},
    )
    task_id = reply.json()["taskID"]
    status = await finished(http, task_id)
    assert status["status"] == "Finished" and status["torrentFilePath"] == str(target)
    made = await http.get("/api/v2/torrentcreator/torrentFile", params={"taskID": task_id})
    assert target.read_bytes() == made.content
    v1, _ = lt_info_hashes(made.content)

    async def seeding() -> None:
        torrents = (await http.get("/api/v2/torrents/info")).json()
        assert [t["hash"] for t in torrents] == [v1], torrents
        assert torrents[0]["save_path"].rstrip("/") == str(tmp_path)
        assert torrents[0]["progress"] == 1, torrents[0]

    await eventually(seeding, timeout=20)


async def test_status_order_failure_and_delete(http: httpx.AsyncClient, tmp_path: Path):
    missing = await http.post(
        "/api/v2/torrentcreator/addTask", data={"sourcePath": str(tmp_path / "nothing")}
    )
    failed = await finished(http, missing.json()["taskID"])
    assert failed["status"] == "Failed" and failed["errorMessage"], failed
    reply = await http.get(
        "/api/v2/torrentcreator/torrentFile", params={"taskID": failed["taskID"]}
    )
    assert (reply.status_code, reply.text) == (409, "Torrent creation failed.")
    everything = (await http.get("/api/v2/torrentcreator/status")).json()
    assert [t["taskID"] for t in everything] == [failed["taskID"]]
    deleted = await http.post(
        "/api/v2/torrentcreator/deleteTask", data={"taskID": failed["taskID"]}
    )
    assert deleted.status_code == 200
    assert (await http.get("/api/v2/torrentcreator/status")).json() == []


class Gate:
    """Holds the creator's hashing thread halfway until the test opens it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = threading.Event()
        real = torrent_creator.build_torrent

        def gated(path: Path, options: Any, on_progress: Any) -> bytes:
            on_progress(0, 100)
            on_progress(50, 100)
            if not self.opened.wait(20):
                raise TimeoutError("the test never opened the gate")
            return real(path, options, on_progress)

        monkeypatch.setattr(torrent_creator, "build_torrent", gated)


async def status_of(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    reply = await http.get("/api/v2/torrentcreator/status", params={"taskID": task_id})
    (status,) = reply.json()
    return dict(status)


async def test_progress_is_reported_while_running(
    http: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    gate = Gate(monkeypatch)
    album = content(tmp_path)
    task_id = (
        await http.post(
            "/api/v2/torrentcreator/addTask",
            data={"sourcePath": str(album), "startSeeding": "false"},
        )
    ).json()["taskID"]

    async def halfway() -> None:
        status = await status_of(http, task_id)
        assert status["status"] == "Running" and status["progress"] == 50, status
        assert "timeStarted" in status and "timeFinished" not in status

    await eventually(halfway)
    gate.opened.set()
    done = await finished(http, task_id)
    assert done["status"] == "Finished" and "progress" not in done


@pytest.mark.parametrize(
    ("method", "endpoint", "params", "status", "body"),
    [
        ("POST", "torrentcreator/addTask", {}, 400, "Bad Request"),
        ("GET", "torrentcreator/addTask", {"sourcePath": "/x"}, 405, "Method Not Allowed"),
        ("GET", "torrentcreator/status", {"taskID": "nope"}, 404, "Not Found"),
        ("GET", "torrentcreator/torrentFile", {"taskID": "nope"}, 404, "Not Found"),
        ("GET", "torrentcreator/torrentFile", {}, 400, "Bad Request"),
        ("POST", "torrentcreator/deleteTask", {"taskID": "nope"}, 404, "Not Found"),
        ("POST", "torrentcreator/deleteTask", {}, 400, "Bad Request"),
    ],
)
async def test_bad_input(
    http: httpx.AsyncClient, method: str, endpoint: str, params: dict[str, str], status: int,
    body: str,
):  # fmt: skip
    url = f"/api/v2/{endpoint}"
    reply = await (
        http.post(url, data=params) if method == "POST" else http.get(url, params=params)
    )
    assert (reply.status_code, reply.text) == (status, body)


async def test_unfinished_task_is_409(
    http: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    gate = Gate(monkeypatch)
    album = content(tmp_path)
    params = {"sourcePath": str(album), "startSeeding": "false"}
    first = (await http.post("/api/v2/torrentcreator/addTask", data=params)).json()["taskID"]
    second = (await http.post("/api/v2/torrentcreator/addTask", data=params)).json()["taskID"]
    await eventually(lambda: _running(http, first))
    queued = await status_of(http, second)
    assert queued["status"] == "Queued" and "timeStarted" not in queued  # one at a time
    everything = (await http.get("/api/v2/torrentcreator/status")).json()
    assert [t["taskID"] for t in everything] == [first, second]  # by time added
    for task_id in (first, second):
        reply = await http.get("/api/v2/torrentcreator/torrentFile", params={"taskID": task_id})
        assert (reply.status_code, reply.text) == (409, "Torrent creation is still unfinished.")
    deleted = await http.post("/api/v2/torrentcreator/deleteTask", data={"taskID": first})
    assert deleted.status_code == 200
    gate.opened.set()  # the deleted one stops at its next progress report; the second runs
    assert (await finished(http, second))["status"] == "Finished"
    assert [t["taskID"] for t in (await http.get("/api/v2/torrentcreator/status")).json()] == [
        second
    ]


async def _running(http: httpx.AsyncClient, task_id: str) -> None:
    assert (await status_of(http, task_id))["status"] == "Running"


async def test_folder_with_one_file(http: httpx.AsyncClient, tmp_path: Path):
    """The qbittorrent-api suite's case: hybrid (the default) from a folder holding one file;
    our own metainfo parser reads it as libtorrent does (folder/file)."""
    folder = tmp_path / "test_torrent"
    folder.mkdir()
    (folder / "test-file").write_text("hello world")
    reply = await http.post(
        "/api/v2/torrentcreator/addTask",
        data={"sourcePath": str(folder), "startSeeding": "false"},
    )
    task_id = reply.json()["taskID"]
    assert (await finished(http, task_id))["status"] == "Finished"
    made = await http.get("/api/v2/torrentcreator/torrentFile", params={"taskID": task_id})
    parsed = metainfo.parse(made.content)
    assert [f.path for f in parsed.files] == ["test_torrent/test-file"]
    reference = lt_create(folder, "hybrid", parsed.piece_length)
    assert lt_info_hashes(made.content) == lt_info_hashes(reference)
