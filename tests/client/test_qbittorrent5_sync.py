"""5.1's `torrents/info?includeTrackers=true`, `sync/torrentPeers` diffs with a real libtorrent
peer, and `alltime_dl`/`alltime_ul` that survive a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.lt_peers import add, peer_session
from tests.support.payloads import make_torrent
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, login


def slow_local_peer() -> Any:
    """A libtorrent peer that downloads at 250 kB/s from loopback peers too."""
    session = peer_session()
    local = session.local_peer_class_id
    session.set_peer_class(local, {**session.get_peer_class(local), "download_limit": 250_000})
    return session


async def get(http: httpx.AsyncClient, endpoint: str, **params: Any) -> Any:
    reply = await http.get(f"/api/v2/{endpoint}", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def add_paused(http: httpx.AsyncClient, torrent: bytes, save_path: Path) -> str:
    reply = await http.post(
        "/api/v2/torrents/add",
        data={"savepath": str(save_path), "stopped": "true", "paused": "true"},
        files={"torrents": ("t.torrent", torrent)},
    )
    assert reply.text == "Ok."
    return str((await get(http, "torrents/info"))[-1]["hash"])


@pytest.mark.parametrize("persona", ["5.1", "4.6"])
async def test_info_include_trackers(start_webui: StartWebUI, tmp_path: Path, persona: str):
    webui = await start_webui(persona=persona)
    trackers = ("http://127.0.0.1:9/announce", "udp://127.0.0.1:9/announce")
    torrent, source = make_torrent(tmp_path / "src", "Tracked", {"Tracked": 20_000},
                                   trackers=trackers)  # fmt: skip
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        hash_ = await add_paused(http, torrent, source.parent)
        (plain,) = await get(http, "torrents/info")
        assert "trackers" not in plain
        (info,) = await get(http, "torrents/info", includeTrackers="true")
        if persona == "4.6":
            assert "trackers" not in info
            return
        rows = await get(http, "torrents/trackers", hash=hash_)
        real = [row for row in rows if row["tier"] != -1]
        assert sorted(t["url"] for t in info["trackers"]) == sorted(trackers)
        assert info["trackers"] == real
        assert {k: v for k, v in info.items() if k != "trackers"}.keys() == plain.keys()


@pytest.mark.slow
@pytest.mark.libtorrent
async def test_torrent_peers_diffs_and_alltime_totals(start_webui: StartWebUI, tmp_path: Path):
    torrent, source = make_torrent(tmp_path / "seed", "Swarm", {"s.bin": 2_000_000},
                                   piece_length=65536)  # fmt: skip
    data = tmp_path / "state"
    webui = await start_webui(data, persona="5.1")
    engine = webui.runtime.backend.engine
    assert engine is not None
    our_port = await asyncio.wrap_future(engine.listen_port())
    leecher = slow_local_peer()
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        hash_ = await add_paused(http, torrent, source.parent)  # our client has the data
        await http.post("/api/v2/torrents/start", data={"hashes": hash_})

        async def seeding() -> None:
            (info,) = await get(http, "torrents/info", hashes=hash_)
            assert info["progress"] == 1 and info["state"] in ("stalledUP", "uploading"), info

        await eventually(seeding, timeout=30)
        # a peer that downloads from us over some seconds: its progress changes between polls
        leeching = add(leecher, torrent, tmp_path / "leech")
        leeching.connect_peer(("127.0.0.1", our_port))

        async def full() -> dict[str, Any]:
            reply = dict(await get(http, "sync/torrentPeers", hash=hash_, rid=0))
            assert reply["full_update"] is True and len(reply["peers"]) == 1, reply
            return reply

        first = await eventually(full, timeout=30)
        (peer_key,) = first["peers"]
        assert first["peers"][peer_key]["ip"] == "127.0.0.1"
        rid, held = first["rid"], {k: dict(v) for k, v in first["peers"].items()}
        replies: list[dict[str, Any]] = []

        async def poll() -> dict[str, Any]:
            nonlocal rid
            reply = dict(await get(http, "sync/torrentPeers", hash=hash_, rid=rid))
            replies.append(reply)
            rid = reply["rid"]
            for key, fields in reply.get("peers", {}).items():
                held.setdefault(key, {}).update(fields)
            for key in reply.get("peers_removed", []):
                held.pop(key, None)
            return reply

        async def leeched() -> None:
            await poll()
            assert leeching.status().is_seeding
            assert peer_key not in held or held[peer_key]["progress"] == 1, held

        await eventually(leeched, timeout=60, interval=0.1)
        assert all("full_update" not in r for r in replies), replies
        changed = [r["peers"][peer_key] for r in replies if peer_key in r.get("peers", {})]
        assert changed, replies  # its progress and rates, in several replies
        # only changed fields: never the unchanging ip and port of the peer again
        assert all("ip" not in c and "port" not in c for c in changed), changed

        async def counted() -> int:
            state = (await get(http, "sync/maindata", rid=0))["server_state"]
            assert state["alltime_ul"] >= 2_000_000, state
            return int(state["alltime_ul"])

        before = await eventually(counted, timeout=15)
    await webui.runtime.backend.close()
    webui.stop.set()
    again = await start_webui(data, persona="5.1")
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        state = (await get(http, "sync/maindata", rid=0))["server_state"]
        assert state["alltime_ul"] >= before
        assert (await get(http, "transfer/info"))["up_info_data"] < before  # this run: none
