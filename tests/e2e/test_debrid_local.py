"""The `local` debrid provider end to end: torrentstack's own client service (in-process, on
loopback) and Debian's qbittorrent-nox download from a libtorrent seeder, and the provider reads
the files they wrote."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.debrid_services.catalogue import episode, single_file
from tests.support.lt_peers import add, peer_session, wait_seeding
from tests.support.payloads import make_torrent
from tests.support.torrent_clients import Daemon, run_qbittorrent_nox
from tests.support.waiting import eventually
from tests.support.webui import PASSWORD, USERNAME, WebUI, webui_starter
from torrentstack.config import DatabaseSettings
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError
from torrentstack.debrid.providers.base import RemoteFile, RemoteStatus, RemoteTorrent
from torrentstack.debrid.providers.local import LocalProvider

pytestmark = [pytest.mark.slow, pytest.mark.libtorrent, pytest.mark.timeout(120)]

FILES = {"a.bin": 700_000, "sub/b.bin": 150_000, "sub/c.txt": 3_000}


@pytest.fixture
async def webui(tmp_path: Path, database_settings: DatabaseSettings) -> AsyncIterator[WebUI]:
    async with webui_starter(tmp_path, database_settings) as start:
        yield await start()


@pytest.fixture
def nox(tmp_path: Path) -> Iterator[Daemon]:
    with run_qbittorrent_nox(tmp_path / "daemon") as daemon:
        yield daemon


def local_provider(url: str, key: str, save_root: Path) -> LocalProvider:
    settings = ProviderSettings(provider="local", name="client", api_url=url, api_key=key)
    return LocalProvider(settings, save_root=save_root)


def provider(webui: WebUI, save_root: Path, password: str = PASSWORD) -> LocalProvider:
    return local_provider(webui.url, f"{USERNAME}:{password}", save_root)


async def downloaded(local: LocalProvider, remote_id: str) -> RemoteTorrent:
    async def done() -> RemoteTorrent:
        found = await local.status(remote_id)
        assert found.status is RemoteStatus.DOWNLOADED, found
        return found

    result: RemoteTorrent = await eventually(done, timeout=60, interval=0.2)
    return result


def seeder_for(torrent: bytes, data_root: Path) -> tuple[Any, Any]:
    session = peer_session()
    handle = add(session, torrent, data_root, seed=True)
    wait_seeding(handle)
    return session, handle


async def test_magnet_and_torrent_downloads_are_read_from_disk(webui: WebUI, tmp_path: Path):
    album, album_dir = make_torrent(tmp_path / "seed", "Album", FILES)
    movie, movie_file = make_torrent(tmp_path / "seed", "Movie.mkv", {"Movie.mkv": 400_000})
    seeder, album_handle = await asyncio.to_thread(seeder_for, album, tmp_path / "seed")
    movie_handle = add(seeder, movie, tmp_path / "seed", seed=True)
    await asyncio.to_thread(wait_seeding, movie_handle)
    album_hash = str(album_handle.info_hashes().v1)
    save_root = tmp_path / "debrid"
    local = provider(webui, save_root)
    try:
        magnet = f"magnet:?xt=urn:btih:{album_hash.upper()}&dn=Album"
        assert await local.submit_magnet(magnet, uncached=False) == album_hash
        movie_hash = await local.submit_torrent(movie, uncached=False)
        assert movie_hash == str(movie_handle.info_hashes().v1)
        # no tracker, no DHT: the seeder dials our client once it lists both (the `x.pe` hint
        # has its own test below)
        engine = webui.runtime.backend.engine
        assert engine is not None
        our_port = await asyncio.wrap_future(engine.listen_port())
        album_handle.connect_peer(("127.0.0.1", our_port))
        movie_handle.connect_peer(("127.0.0.1", our_port))

        album_done = await downloaded(local, album_hash)
        movie_done = await downloaded(local, movie_hash)

        assert album_done.name == "Album"
        assert album_done.size == sum(FILES.values())
        assert album_done.progress == 1
        assert sorted((f.path, f.size) for f in album_done.files) == sorted(FILES.items())
        for file in album_done.files:
            assert file.link == str(save_root / "Album" / file.path)
            seeded_bytes = (album_dir / file.path).read_bytes()
            assert b"".join([c async for c in local.stream(file)]) == seeded_bytes
            assert await local.check(file) is True
        (big,) = [f for f in album_done.files if f.path == "a.bin"]
        seeded_bytes = (album_dir / "a.bin").read_bytes()
        part = b"".join([c async for c in local.stream(big, 70_000, 200_000)])
        assert part == seeded_bytes[70_000:200_001]

        (film,) = movie_done.files
        assert (film.path, film.size) == ("Movie.mkv", 400_000)
        assert film.link == str(save_root / "Movie.mkv")
        assert b"".join([c async for c in local.stream(film)]) == movie_file.read_bytes()
        assert await local.link(film) == (save_root / "Movie.mkv").as_uri()

        (save_root / "Movie.mkv").unlink()
        assert await local.check(film) is False

        assert {t.id for t in await local.torrents()} == {album_hash, movie_hash}
        await local.delete(album_hash)
        await local.delete(album_hash)  # gone already: no error
        with pytest.raises(NotFoundRemote):
            await local.status(album_hash)
        await eventually(lambda: not (save_root / "Album").exists())
        assert [t.id for t in await local.torrents()] == [movie_hash]
    finally:
        await local.close()


async def test_a_wrong_password_is_refused_by_our_client(webui: WebUI, tmp_path: Path):
    local = provider(webui, tmp_path / "debrid", password="wrong")
    try:
        with pytest.raises(ProviderError, match="refused the login"):
            await local.profile()
    finally:
        await local.close()


# -- Debian's qbittorrent-nox ------------------------------------------------------------------


async def test_qbittorrent_nox_takes_submits_reports_and_deletes(nox: Daemon, tmp_path: Path):
    save_root = tmp_path / "nox-debrid"
    url = f"http://127.0.0.1:{nox.port}"
    local = local_provider(url, f"{nox.username}:{nox.password}", save_root)
    content, movie = episode(), single_file()
    try:
        assert (await local.profile()).username == nox.username
        assert await local.submit_magnet(content.magnet, uncached=False) == content.info_hash
        assert await local.submit_torrent(movie.torrent, uncached=False) == movie.info_hash
        # twice: the client holds it already, in our category
        assert await local.submit_torrent(movie.torrent, uncached=False) == movie.info_hash

        magnet_status = await local.status(content.info_hash)
        assert magnet_status.status is RemoteStatus.QUEUED  # no peers: no metadata
        assert magnet_status.files == ()

        async def listed_files() -> Any:
            found = await local.status(movie.info_hash)
            assert found.files, found
            return found

        found = await eventually(listed_files)
        assert found.info_hash == movie.info_hash
        assert found.status in (RemoteStatus.QUEUED, RemoteStatus.DOWNLOADING)
        assert found.files == (
            RemoteFile("0", movie.name, movie.size, str(save_root / movie.name)),
        )
        assert {t.id for t in await local.torrents()} == {content.info_hash, movie.info_hash}

        await local.delete(movie.info_hash)
        await local.delete(content.info_hash)
        await local.delete(content.info_hash)  # gone already: no error
        with pytest.raises(NotFoundRemote):
            await local.status(movie.info_hash)
        assert await local.torrents() == []
    finally:
        await local.close()

    wrong = local_provider(url, f"{nox.username}:wrong", save_root)
    with pytest.raises(ProviderError, match="refused the login"):
        await wrong.profile()
    await wrong.close()


async def test_qbittorrent_nox_downloads_a_magnet_from_its_peer_hint(nox: Daemon, tmp_path: Path):
    album, album_dir = make_torrent(tmp_path / "seed", "Album", FILES)
    seeder, album_handle = await asyncio.to_thread(seeder_for, album, tmp_path / "seed")
    album_hash = str(album_handle.info_hashes().v1)
    save_root = tmp_path / "nox-debrid"
    local = local_provider(
        f"http://127.0.0.1:{nox.port}", f"{nox.username}:{nox.password}", save_root
    )
    try:
        magnet = f"magnet:?xt=urn:btih:{album_hash}&dn=Album&x.pe=127.0.0.1:{seeder.listen_port()}"
        assert await local.submit_magnet(magnet, uncached=False) == album_hash
        done = await downloaded(local, album_hash)
        assert sorted((f.path, f.size) for f in done.files) == sorted(FILES.items())
        for file in done.files:
            assert file.link == str(save_root / "Album" / file.path)
            seeded_bytes = (album_dir / file.path).read_bytes()
            assert b"".join([c async for c in local.stream(file)]) == seeded_bytes
        await local.delete(album_hash)
        await eventually(lambda: not (save_root / "Album").exists())
    finally:
        await local.close()


async def test_our_client_downloads_a_magnet_from_its_peer_hint(webui: WebUI, tmp_path: Path):
    """Metadata from the hinted peer can arrive before the add returns: the client keeps it
    for the torrent (it once dropped it, and the torrent stayed in metaDL for good)."""
    album, album_dir = make_torrent(tmp_path / "seed", "Album", FILES)
    seeder, album_handle = await asyncio.to_thread(seeder_for, album, tmp_path / "seed")
    album_hash = str(album_handle.info_hashes().v1)
    local = provider(webui, tmp_path / "debrid")
    try:
        magnet = f"magnet:?xt=urn:btih:{album_hash}&dn=Album&x.pe=127.0.0.1:{seeder.listen_port()}"
        assert await local.submit_magnet(magnet, uncached=False) == album_hash
        done = await downloaded(local, album_hash)
        assert sorted((f.path, f.size) for f in done.files) == sorted(FILES.items())
        for file in done.files:
            seeded_bytes = (album_dir / file.path).read_bytes()
            assert b"".join([c async for c in local.stream(file)]) == seeded_bytes
    finally:
        await local.close()
