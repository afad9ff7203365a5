"""Two members on the site and the tracker working for them: both register (proof of work +
verifier login), one uploads, a moderator approves, both download their own .torrent, and two
libtorrent sessions swap the data through our private tracker with their passkeys; the site
then shows each member's transfer and the snatch. Run with the tracker and the site in one
process, and apart (the tracker a `serve tracker` process on the same database)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import httpx
import libtorrent as lt
import pytest

from tests.e2e import serve_process
from tests.support.lt_peers import peer_session
from tests.support.payloads import make_torrent
from tests.support.site import member
from tests.support.stack import stack
from tests.support.waiting import eventually
from torrentstack.bittorrent.bencode import decode
from torrentstack.config import SERVICES, Settings

pytestmark = [pytest.mark.slow, pytest.mark.libtorrent, pytest.mark.database]

SIZE = 3_000_000


def free_port() -> int:
    """A port free for TCP and UDP on 127.0.0.1 (the tracker takes both)."""
    while True:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(port)


def settings_for(
    database_settings, tmp_path: Path, services: set[str], tracker_port: int, redis_url: str = ""
) -> Settings:
    tree: dict[str, Any] = {
        name: {"host": "127.0.0.1", "port": 0, "enabled": name in services} for name in SERVICES
    }
    tree["tracker"] |= {"mode": "private", "api_port": 0, "port": tracker_port}
    tree["site"] |= {
        "registration": "open",
        "pow_difficulty": 1,
        "kdf_iterations": 1000,
        "rate_limits": {"auth": 0},  # two members register from one address in a second
        "announce_http": f"http://127.0.0.1:{tracker_port}/announce",
        "announce_udp": f"udp://127.0.0.1:{tracker_port}/announce",
    }
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "database": database_settings.model_dump(),
            "redis": {"url": redis_url},
            **tree,
        }
    )


def add(session: Any, torrent: bytes, save_path: Path) -> Any:
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(lt.bdecode(torrent))
    params.save_path = str(save_path)
    return session.add_torrent(params)


async def swap_through_the_tracker(site_url: str, tmp_path: Path) -> None:
    torrent, source = make_torrent(tmp_path / "seed", "Payload", {"Payload": SIZE})
    async with (
        httpx.AsyncClient(base_url=site_url, timeout=30) as alice_http,
        httpx.AsyncClient(base_url=site_url, timeout=30) as bob_http,
    ):
        alice = await member(alice_http, "alice")  # the first member: admin, so a moderator
        bob = await member(bob_http, "bob")
        reply = await bob_http.post(
            "/api/torrents",
            data={"title": "Payload 2026", "description": "the payload"},
            files={"torrent": ("payload.torrent", torrent, "application/x-bittorrent")},
        )
        assert reply.status_code == 201, reply.text
        data = reply.json()["data"]
        info_hash = data["infoHash"]
        assert data["isApproved"] is False  # a plain member's upload waits for moderation
        async with httpx.AsyncClient(base_url=site_url, timeout=30) as anonymous:
            assert (await anonymous.get(f"/api/torrents/{info_hash}")).status_code == 404
        reply = await alice_http.post(f"/api/mod/torrents/{info_hash}/approve", json={})
        assert reply.status_code == 200, reply.text

        files = {}
        for who, http in (("alice", alice_http), ("bob", bob_http)):
            reply = await http.get(f"/api/torrents/{info_hash}/download")
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-type"] == "application/x-bittorrent"
            files[who] = reply.content
        passkeys = {
            "alice": (await alice_http.get("/api/me")).json()["passkey"],
            "bob": (await bob_http.get("/api/me")).json()["passkey"],
        }
        for who, data_ in files.items():
            info = lt.torrent_info(lt.bdecode(data_))
            assert (
                str(info.info_hashes().get_best()) == info_hash
                or str(info.info_hash()) == info_hash
            )
            assert info.priv()
            tiers = decode(data_)[b"announce-list"]
            urls = [url.decode() for tier in tiers for url in tier]
            assert all(passkeys[who] in url for url in urls), urls
            assert any(url.startswith("udp://") for url in urls)

        seeder, leecher = peer_session(), peer_session()
        for session in (seeder, leecher):
            session.apply_settings(
                {"alert_mask": lt.alert_category.error | lt.alert_category.tracker}
            )
        try:
            seeding = add(seeder, files["bob"], source.parent)  # bob uploaded: he has the data
            fetching = add(leecher, files["alice"], tmp_path / "alice")

            alerts: list[str] = []

            def done() -> None:
                status = fetching.status()
                said = [a.message() for s in (seeder, leecher) for a in s.pop_alerts()]
                alerts.extend(said)
                assert status.is_seeding, (status.state, status.progress, status.num_peers, alerts)

            await eventually(done, timeout=60, interval=0.3)
            # bob reports what he sent at his next announce
            seeding.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
            fetching.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)

            async def credited() -> None:
                alice_me = (await alice_http.get("/api/me")).json()
                bob_me = (await bob_http.get("/api/me")).json()
                assert alice_me["downloaded"] >= SIZE * 0.9, alice_me
                assert bob_me["uploaded"] >= SIZE * 0.9, bob_me
                detail = (await alice_http.get(f"/api/torrents/{info_hash}")).json()
                assert detail["snatches"] == 1, detail

            await eventually(credited, timeout=30, interval=0.3)
        finally:
            seeder.pause()
            leecher.pause()
        assert alice.user["id"] != bob.user["id"]


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, db_backend: str) -> str:
    """Redis beside PostgreSQL (the swarm, the rate limits); none beside SQLite."""
    return str(request.config.getoption("--redis-url")) if db_backend == "postgresql" else ""


async def test_members_swap_through_the_tracker_in_one_process(
    database_settings, redis_url, tmp_path
):
    settings = settings_for(
        database_settings, tmp_path, {"tracker", "site"}, free_port(), redis_url
    )
    async with stack(settings) as ports:
        await swap_through_the_tracker(f"http://127.0.0.1:{ports['site']}", tmp_path)


async def test_members_swap_through_a_tracker_in_another_process(
    database_settings, redis_url, tmp_path
):
    database_url = database_settings.url
    env = {
        "TORRENTSTACK_TRACKER__MODE": "private",
        "TORRENTSTACK_DATABASE__URL": database_url,
        "TORRENTSTACK_REDIS__URL": redis_url,
    }
    proc, ports, _lines = await asyncio.to_thread(
        serve_process.start, tmp_path, "tracker", env=env, data_dir=tmp_path / "tracker-data"
    )
    try:
        settings = settings_for(database_settings, tmp_path, {"site"}, ports["tracker"], redis_url)
        async with stack(settings) as site_ports:
            await swap_through_the_tracker(f"http://127.0.0.1:{site_ports['site']}", tmp_path)
    finally:
        serve_process.stop(proc, graceful=True)
