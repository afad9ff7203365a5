"""One stack, no set-up: `serve` with the site, the client and cross-seed enabled and nothing
configured for cross-seed. The site's owner uploads a torrent whose content the client already
seeds from another tracker; a webhook for the client's torrent makes cross-seed search the
site's own Torznab feed (under the owner's key), download the site's .torrent and inject it
into the client, where it seeds at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.seeded_clients import QbtNative
from tests.support.site import member
from tests.support.stack import stack
from tests.support.torrent_clients import free_port
from tests.support.waiting import eventually_sync
from tests.support.webui import LOOPBACK_ONLY, PASSWORD, USERNAME
from torrentstack.bittorrent.metainfo import parse
from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
from torrentstack.config import SERVICES, Settings
from torrentstack.crossseed.searchee import Metafile

pytestmark = [pytest.mark.slow, pytest.mark.database, pytest.mark.libtorrent]

NAME = "Night.City.S02.1080p.WEB-DL.DDP5.1.H.264-GRP"
FILES = {f"Night.City.S02E0{i}.1080p.WEB-DL.DDP5.1.H.264-GRP.mkv": 200_000 + i for i in (1, 2)}


def _torrent(root: Path, *, source: str, tracker: str) -> Metafile:
    for rel, size in FILES.items():
        target = root / NAME / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_bytes(bytes((len(rel) * 31 + i) % 251 for i in range(size)))
    options = CreateOptions(
        version="v1", piece_length=16384, private=True, source=source, trackers=[tracker]
    )
    return Metafile.from_metainfo(parse(build_torrent(root / NAME, options)))


def _settings(tmp_path: Path, database_settings: Any, client_port: int) -> Settings:
    tree: dict[str, Any] = {
        name: {"host": "127.0.0.1", "port": 0, "enabled": name != "debrid"} for name in SERVICES
    }
    tree["tracker"] |= {"api_port": 0}
    tree["site"] |= {
        "port": free_port(),  # cross-seed reaches the site's feed at its configured port
        "registration": "open",
        "pow_difficulty": 1,
        "kdf_iterations": 1000,
        "rate_limits": {"auth": 0},
    }
    tree["client"] |= {
        "port": client_port,
        "listen_port": 0,
        "webui_password": PASSWORD,
        "save_path": str(tmp_path / "downloads"),
        "preferences": LOOPBACK_ONLY,
    }
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "state")},
            "database": database_settings.model_dump(),
            **tree,
        }
    )


async def test_the_site_and_the_client_cross_seed_with_no_configuration(
    tmp_path, database_settings
):
    data, client_port = tmp_path / "downloads", free_port()
    mine = await asyncio.to_thread(
        _torrent, data, source="ELSEWHERE", tracker="http://tracker.elsewhere.test/announce"
    )
    theirs = await asyncio.to_thread(
        _torrent, tmp_path / "upload", source="OURSITE", tracker="http://127.0.0.1:1/announce"
    )
    settings = _settings(tmp_path, database_settings, client_port)
    async with stack(settings) as ports:
        native = await asyncio.to_thread(
            QbtNative, f"http://127.0.0.1:{client_port}", USERNAME, PASSWORD
        )
        await asyncio.to_thread(native.add, mine, data)

        def complete() -> None:
            status = native.status(mine.info_hash)
            assert status is not None and status["progress"] == 1, status

        await asyncio.to_thread(eventually_sync, complete, timeout=30, interval=0.1)

        site = f"http://127.0.0.1:{ports['site']}"
        async with httpx.AsyncClient(base_url=site, timeout=30) as http:
            await member(http, "owner")  # the first member: the site's owner (admin)
            reply = await http.post(
                "/api/torrents",
                data={"title": NAME},
                files={"torrent": ("t.torrent", theirs.raw, "application/x-bittorrent")},
            )
            assert reply.status_code == 201, reply.text
            assert reply.json()["data"]["isApproved"] is True

        key = (tmp_path / "state" / "secrets" / "crossseed-api-key").read_text().strip()
        async with httpx.AsyncClient(timeout=30) as http:
            reply = await http.post(
                f"http://127.0.0.1:{ports['crossseed']}/api/webhook",
                json={"infoHash": mine.info_hash},
                headers={"X-Api-Key": key},
            )
            assert reply.status_code == 204

        def seeding() -> dict[str, Any]:
            status = native.status(theirs.info_hash)
            assert status is not None and status["progress"] == 1, status
            return status

        status = await asyncio.to_thread(eventually_sync, seeding, timeout=45, interval=0.2)
        assert status["downloaded"] == 0
        assert "cross-seed" in status["tags"]
