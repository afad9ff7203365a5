"""A .torrent file is parsed once per add, on the engine's thread and never on the event loop's
(a big one holds the interpreter for ~13 ms per MB); one that is not a torrent refuses the whole
call before anything is added, as qBittorrent's `torrents/add` does."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.support.payloads import make_torrent
from tests.support.webui import WebUI, login
from torrentstack.client.engine import params as engine_params


@pytest.fixture
async def http(webui: WebUI):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as client:
        assert (await login(client)).text == "Ok."
        yield client


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The name of the thread of each parse of a .torrent file."""
    seen: list[str] = []
    real = engine_params.load_torrent

    def counted(data: bytes):
        seen.append(threading.current_thread().name)
        return real(data)

    monkeypatch.setattr(engine_params, "load_torrent", counted)
    return seen


async def test_each_file_is_parsed_once_off_the_event_loop(http, parses, tmp_path):
    files = []
    for name in ("one", "two", "three"):
        torrent, _ = make_torrent(tmp_path / "src", name, {name: 20_000})
        files.append(("torrents", (f"{name}.torrent", torrent)))
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"savepath": str(tmp_path / "src"), "paused": "true", "contentLayout": "Subfolder"},
        files=files,
    )
    assert reply.text == "Ok."
    assert len(parses) == 3, parses  # not once for the check, again for the layout, again to add
    assert set(parses) == {"libtorrent"}, parses
    info = (await http.get("/api/v2/torrents/info")).json()
    assert sorted(t["name"] for t in info) == ["one", "three", "two"]
    # Subfolder put each single-file torrent under a folder named after it
    for item in info:
        files_ = (await http.get("/api/v2/torrents/files", params={"hash": item["hash"]})).json()
        assert [f["name"] for f in files_] == [f"{item['name']}/{item['name']}"]


async def test_one_bad_file_refuses_the_whole_add(http, tmp_path):
    good, _ = make_torrent(tmp_path / "src", "good", {"good": 20_000})
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"category": "new-one", "tags": "new-tag"},
        files=[("torrents", ("good.torrent", good)), ("torrents", ("bad.torrent", b"d4:infoi3ee"))],
    )
    assert (reply.status_code, reply.text) == (
        415,
        "Error: 'bad.torrent' is not a valid torrent file.",
    )
    assert (await http.get("/api/v2/torrents/info")).json() == []
    assert (await http.get("/api/v2/torrents/categories")).json() == {}
    assert (await http.get("/api/v2/torrents/tags")).json() == []
