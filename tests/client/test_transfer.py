"""Real transfers: our client downloads a multi-file torrent from a libtorrent seeder (found
through `torrents/addPeers`), the data verifies, and it then seeds to another libtorrent peer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.support.lt_peers import add, peer_session, wait_seeding
from tests.support.payloads import make_torrent
from tests.support.waiting import eventually_sync
from tests.support.webui import StartWebUI, api_client

pytestmark = [pytest.mark.slow, pytest.mark.libtorrent]

FILES = {"a.bin": 3_000_000, "sub/b.bin": 1_500_000, "sub/c.txt": 10_000}


def downloaded(client: Any) -> Any:
    """The first torrent's info once it is complete."""
    info = client.torrents_info()[0]
    assert info.progress == 1, info
    return info


def seeding(client: Any) -> Any:
    """The first torrent's info once a status update has named it seeding."""
    info = client.torrents_info()[0]
    assert info.state in ("stalledUP", "uploading"), info
    return info


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


async def test_download_then_seed(start_webui: StartWebUI, tmp_path: Path):
    torrent, source = make_torrent(tmp_path / "seed", "Album", FILES, piece_length=65536)
    seeder = peer_session()
    seeded = add(seeder, torrent, source.parent, seed=True)
    await asyncio.to_thread(wait_seeding, seeded)
    webui = await start_webui()
    engine = webui.runtime.backend.engine
    assert engine is not None
    our_port = await asyncio.wrap_future(engine.listen_port())

    def download() -> tuple[str, float, list[dict[str, object]]]:
        client = api_client(webui)
        client.auth_log_in()
        assert client.torrents_add(torrent_files=torrent, save_path=str(tmp_path / "dl")) == "Ok."
        (info,) = client.torrents_info()
        client.torrents_add_peers(
            peers=f"127.0.0.1:{seeder.listen_port()}", torrent_hashes=info.hash
        )
        info = eventually_sync(lambda: downloaded(client), timeout=60, interval=0.2)
        # a later status update names the seeding state
        state = eventually_sync(lambda: seeding(client)).state
        return state, info.progress, list(client.torrents_files(info.hash))

    state, progress, files = await asyncio.to_thread(download)
    assert progress == 1
    assert state in ("stalledUP", "uploading")
    assert all(f["progress"] == 1 for f in files)
    assert tree(tmp_path / "dl" / "Album") == tree(source)

    leecher = peer_session()
    leeching = add(leecher, torrent, tmp_path / "leech")
    leeching.connect_peer(("127.0.0.1", our_port))
    await asyncio.to_thread(wait_seeding, leeching, 60)
    assert tree(tmp_path / "leech" / "Album") == tree(source)


async def test_magnet_gets_its_metadata_from_a_peer_and_downloads(
    start_webui: StartWebUI, tmp_path: Path
):
    torrent, source = make_torrent(
        tmp_path / "seed", "Magnetic", {"m.bin": 700_000, "n.txt": 5_000}
    )
    seeder = peer_session()
    seeded = add(seeder, torrent, source.parent, seed=True)
    await asyncio.to_thread(wait_seeding, seeded)
    info_hash = str(seeded.info_hashes().v1)
    webui = await start_webui()

    def download() -> tuple[str, list[str]]:
        client = api_client(webui)
        client.auth_log_in()
        magnet = f"magnet:?xt=urn:btih:{info_hash}&dn=Magnetic"
        assert client.torrents_add(urls=magnet, save_path=str(tmp_path / "dl"), tags="m") == "Ok."
        (info,) = client.torrents_info()
        assert info.state == "metaDL" or info.state == "checkingResumeData"
        assert client.torrents_files(info.hash) == []
        client.torrents_add_peers(
            peers=f"127.0.0.1:{seeder.listen_port()}", torrent_hashes=info.hash
        )
        info = eventually_sync(lambda: downloaded(client), timeout=60, interval=0.2)
        names = sorted(f.name for f in client.torrents_files(info.hash))
        return client.torrents_properties(info.hash).name, names

    name, names = await asyncio.to_thread(download)
    assert name == "Magnetic" and names == ["Magnetic/m.bin", "Magnetic/n.txt"]
    assert tree(tmp_path / "dl" / "Magnetic") == tree(source)


async def test_download_path_then_save_path(start_webui: StartWebUI, tmp_path: Path):
    torrent, source = make_torrent(tmp_path / "seed", "Staged", {"s.bin": 400_000})
    seeder = peer_session()
    seeded = add(seeder, torrent, source.parent, seed=True)
    await asyncio.to_thread(wait_seeding, seeded)
    webui = await start_webui()
    incoming, final = tmp_path / "incoming", tmp_path / "final"

    def download() -> tuple[str, str]:
        client = api_client(webui)
        client.auth_log_in()
        added = client.torrents_add(
            torrent_files=torrent,
            save_path=str(final),
            download_path=str(incoming),
            use_download_path=True,
        )
        assert added == "Ok."
        (info,) = client.torrents_info()
        assert (info.save_path, info.download_path) == (str(final), str(incoming))
        client.torrents_add_peers(
            peers=f"127.0.0.1:{seeder.listen_port()}", torrent_hashes=info.hash
        )

        def moved() -> Any:
            info = seeding(client)  # "moving" first, seeding at a later status update
            assert (final / "Staged" / "s.bin").exists(), info
            assert info.content_path == str(final / "Staged" / "s.bin"), info  # moved, reported
            return info

        info = eventually_sync(moved, timeout=60, interval=0.2)
        return info.content_path, info.state

    content_path, state = await asyncio.to_thread(download)
    assert tree(final / "Staged") == tree(source)
    assert not (incoming / "Staged" / "s.bin").exists()
    assert content_path == str(final / "Staged" / "s.bin")  # one file: its own path
    assert state in ("stalledUP", "uploading")
