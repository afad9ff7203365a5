"""The calls Sonarr/Radarr make, in their order, through qbittorrent-api (the "Done when" flow):
login → webapiVersion → createCategory → add (file and magnet) with category/tags/paused →
info filtered by category → properties → files → setShareLimits → topPrio (409 with queueing
off) → delete with files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import qbittorrentapi

from tests.support.payloads import make_torrent
from tests.support.webui import StartWebUI, WebUI, api_client

pytestmark = pytest.mark.database  # the store runs on SQLite and on PostgreSQL

MAGNET_HASH = "c" * 40


def sonarr(webui: WebUI, torrent: bytes, source_dir: Path) -> dict[str, object]:
    client = api_client(webui)
    client.auth_log_in()
    seen: dict[str, object] = {"webapi": client.app_web_api_version()}
    client.torrents_create_category(name="tv-sonarr", save_path=str(source_dir.parent))
    result = client.torrents_add(
        torrent_files={"show.torrent": torrent},
        save_path=str(source_dir.parent),
        category="tv-sonarr",
        tags="sonarr,imported",
        is_paused=True,
    )
    seen["add_file"] = result
    magnet = (
        f"magnet:?xt=urn:btih:{MAGNET_HASH}&dn=Show.S01E02&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce"
    )
    seen["add_magnet"] = client.torrents_add(
        urls=magnet, category="tv-sonarr", tags="sonarr,imported", is_paused=True
    )
    info = client.torrents_info(category="tv-sonarr")
    seen["info"] = sorted((t.hash, t.state, t.tags, t.category) for t in info)
    file_hash = next(t.hash for t in info if t.hash != MAGNET_HASH)
    seen["properties"] = dict(client.torrents_properties(torrent_hash=file_hash))
    seen["files"] = [dict(f) for f in client.torrents_files(torrent_hash=file_hash)]
    seen["magnet_files"] = list(client.torrents_files(torrent_hash=MAGNET_HASH))
    client.torrents_set_share_limits(
        ratio_limit=2.5, seeding_time_limit=120, torrent_hashes=file_hash
    )
    seen["limits"] = [
        (t.ratio_limit, t.seeding_time_limit)
        for t in client.torrents_info(torrent_hashes=file_hash)
    ]
    client.app_set_preferences({"queueing_enabled": False})
    try:
        client.torrents_top_priority(torrent_hashes=file_hash)
    except qbittorrentapi.Conflict409Error as exc:
        seen["top_prio"] = str(exc)
    client.torrents_delete(delete_files=True, torrent_hashes=f"{file_hash}|{MAGNET_HASH}")
    seen["after_delete"] = list(client.torrents_info())
    client.auth_log_out()
    return seen


async def test_sonarr_flow(start_webui: StartWebUI, tmp_path: Path):
    webui = await start_webui()
    files = {"Show.S01E01.mkv": 200_000, "Show.S01E01.nfo": 1_000}
    torrent, source = make_torrent(tmp_path / "src", "Show.S01E01", files)
    seen = await asyncio.to_thread(sonarr, webui, torrent, source)

    assert seen["webapi"] == "2.9.3"
    assert seen["add_file"] == "Ok." and seen["add_magnet"] == "Ok."
    states = {h: (state, tags, category) for h, state, tags, category in seen["info"]}
    assert states[MAGNET_HASH] == ("pausedDL", "imported, sonarr", "tv-sonarr")
    (file_hash,) = set(states) - {MAGNET_HASH}
    # the data is already in the category's save path: checked, complete, paused
    assert states[file_hash][1:] == ("imported, sonarr", "tv-sonarr")
    assert states[file_hash][0] in ("pausedUP", "checkingResumeData", "pausedDL")
    props = seen["properties"]
    assert props["hash"] == file_hash and props["save_path"] == str(source.parent)
    assert props["total_size"] == 201_000 and props["pieces_num"] == 13
    names = sorted((f["name"], f["size"]) for f in seen["files"])
    assert names == [
        ("Show.S01E01/Show.S01E01.mkv", 200_000),
        ("Show.S01E01/Show.S01E01.nfo", 1_000),
    ]
    assert seen["magnet_files"] == []
    assert seen["limits"] == [(2.5, 120)]
    assert "queueing" in str(seen["top_prio"]).lower()
    assert seen["after_delete"] == []
    assert not source.exists()  # deleted with its files


@pytest.mark.parametrize("persona", ["5.1"])
async def test_sonarr_flow_on_the_5_1_persona(
    start_webui: StartWebUI, tmp_path: Path, persona: str
):
    webui = await start_webui(persona=persona)
    torrent, source = make_torrent(tmp_path / "src", "Movie.2024", {"Movie.2024": 50_000})
    seen = await asyncio.to_thread(sonarr, webui, torrent, source)
    assert seen["webapi"] == "2.11.4"
    states = {h: state for h, state, _tags, _cat in seen["info"]}
    assert states[MAGNET_HASH] == "stoppedDL"
    assert seen["after_delete"] == [] and not source.exists()
