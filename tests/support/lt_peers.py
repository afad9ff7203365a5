"""libtorrent sessions that play the other peers in client tests (loopback only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libtorrent as lt

from tests.support.waiting import eventually_sync


def peer_session(upload_rate: int = 0) -> Any:
    params = lt.session_params()
    params.settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "upload_rate_limit": upload_rate,
        "allow_multiple_connections_per_ip": True,
        # libtorrent caches UDP tracker connection ids per IP address for the whole process:
        # an id one test's tracker gave must not reach another test's (they all are 127.0.0.1)
        "udp_tracker_token_expiry": 0,
        "alert_mask": lt.alert_category.error,
    }
    return lt.session(params)


def add(session: Any, torrent: bytes, save_path: Path, *, seed: bool = False) -> Any:
    params = lt.load_torrent_buffer(torrent)
    params.save_path = str(save_path)
    if seed:
        params.flags |= lt.torrent_flags.seed_mode
    return session.add_torrent(params)


def wait_seeding(handle: Any, timeout: float = 30.0) -> None:
    def seeding() -> None:
        status = handle.status()
        assert status.is_seeding, f"not seeding: {status.state}"

    eventually_sync(seeding, timeout=timeout)
