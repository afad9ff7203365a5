"""Sonarr's calls, as Sonarr makes them, against the running bridge over each provider's
loopback service: a magnet with category `sonarr` reaches `pausedUP` with byte-identical files
in the download folder, and the (loopback) Sonarr hears `RefreshMonitoredDownloads`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.arr_server import arr_server
from tests.support.debrid_services.alldebrid import alldebrid_service
from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.debrid_services.debridlink import debridlink_service
from tests.support.debrid_services.realdebrid import realdebrid_service
from tests.support.debrid_services.torbox import torbox_service
from tests.support.debrid_stack import Sonarr, debrid_settings, running_bridge, tree_bytes
from tests.support.waiting import eventually

pytestmark = [pytest.mark.database]

SONARR_KEY = "a1" * 16

Service = Callable[..., contextlib.AbstractAsyncContextManager[Any]]
SERVICES: dict[str, tuple[Service, str]] = {
    "realdebrid": (realdebrid_service, "rd-key"),
    "alldebrid": (alldebrid_service, "ad-key"),
    "debridlink": (debridlink_service, "dl-key"),
    "torbox": (torbox_service, "tb-key"),
}


@contextlib.asynccontextmanager
async def provider_service(kind: str, catalogue: list[Content]) -> AsyncIterator[tuple[Any, str]]:
    """The kind's loopback service, every torrent of `catalogue` cached there."""
    service, key = SERVICES[kind]
    everything_cached: dict[str, Any] = (
        {"cached": [c.info_hash for c in catalogue]} if kind in ("debridlink", "torbox") else {}
    )
    async with service(catalogue, api_key=key, **everything_cached) as fake:
        yield fake, key


@pytest.mark.parametrize("kind", sorted(SERVICES))
async def test_sonarr_adds_a_magnet_and_imports_the_files(kind, tmp_path, database_settings):
    show, movie = episode(), single_file()
    async with (
        provider_service(kind, [show, movie]) as (fake, key),
        arr_server("sonarr", api_key=SONARR_KEY) as arr,
    ):
        providers = [{"provider": kind, "api_key": key, "api_url": fake.url}]
        settings = debrid_settings(
            tmp_path, database_settings, providers=providers, download_action="download"
        )
        async with (
            running_bridge(settings) as bridge,
            Sonarr(bridge, arr.url, SONARR_KEY) as sonarr,
        ):
            assert await sonarr.login() == "Ok."
            await sonarr.test_connection()
            reply = await sonarr.add_magnet(show.magnet)
            assert (reply.status_code, reply.text) == (200, "Ok.")
            torrent = await sonarr.wait_completed(show.info_hash)
            assert torrent["progress"] == 1 and torrent["category"] == "sonarr"
            folder = tmp_path / "downloads" / "sonarr" / show.name
            assert torrent["content_path"] == str(folder)
            assert tree_bytes(folder) == show.files
            await eventually(lambda: arr.commands_named("RefreshMonitoredDownloads"))

            reply = await sonarr.add_file("movie.torrent", movie.torrent)
            assert reply.text == "Ok."
            await sonarr.wait_completed(movie.info_hash)
            path = tmp_path / "downloads" / "sonarr" / movie.name
            assert path.read_bytes() == movie.files[movie.name]

            await sonarr.remove(show.info_hash)
            assert not folder.exists()
            assert [t["hash"] for t in await sonarr.torrents()] == [movie.info_hash]
