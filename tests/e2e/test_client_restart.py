"""`torrentstack serve client` killed with SIGKILL mid-download comes back with everything:
torrents, categories, tags, and its progress (from resume data at most ~10 s old), without a
full recheck; then it finishes the download and the data verifies."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.lt_peers import add, peer_session, wait_seeding
from tests.support.payloads import make_torrent
from tests.support.waiting import eventually_sync

pytestmark = [pytest.mark.slow, pytest.mark.libtorrent]

LISTENING = re.compile(r"client listening on http://127\.0\.0\.1:(\d+)")
PASSWORD = "restart-test-password"
SIZE = 24_000_000
RATE = 1_000_000  # the seeder's upload limit: the download takes ~24 s


def start_client(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ)
    env.update(
        {
            "TORRENTSTACK_PATHS__DATA_DIR": str(data_dir),
            "TORRENTSTACK_CLIENT__HOST": "127.0.0.1",
            "TORRENTSTACK_CLIENT__PORT": "0",
            "TORRENTSTACK_CLIENT__LISTEN_PORT": "0",
            "TORRENTSTACK_CLIENT__WEBUI_PASSWORD": PASSWORD,
            "TORRENTSTACK_CLIENT__PREFERENCES": '{"dht": false, "lsd": false, "pex": false}',
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "torrentstack", "serve", "client"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    port: list[int] = []
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if match := LISTENING.search(line):
                port.append(int(match.group(1)))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or not port:
        proc.kill()
        raise AssertionError("client did not start:\n" + "".join(lines))
    return proc, port[0]


def session(port: int) -> httpx.Client:
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    reply = http.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert reply.text == "Ok."
    return http


def info(http: httpx.Client) -> list[dict[str, object]]:
    reply = http.get("/api/v2/torrents/info")
    assert reply.status_code == 200
    return list(reply.json())


def test_sigkill_mid_download_loses_nothing(tmp_path: Path):
    torrent, source = make_torrent(tmp_path / "seed", "Big", {"Big": SIZE}, piece_length=262144)
    seeder = peer_session()
    seeding = add(seeder, torrent, source.parent, seed=True)
    seeding.set_upload_limit(RATE)  # a torrent's limit holds for local peers too
    wait_seeding(seeding)
    peer = f"127.0.0.1:{seeder.listen_port()}"
    data_dir = tmp_path / "data"
    downloads = tmp_path / "dl"
    cleanup: list[httpx.Client] = []
    try:
        run(data_dir, downloads, torrent, source, peer, cleanup)
    finally:
        for http in cleanup:
            http.close()


def run(
    data_dir: Path,
    downloads: Path,
    torrent: bytes,
    source: Path,
    peer: str,
    cleanup: list[httpx.Client],
) -> None:

    proc, port = start_client(data_dir)
    try:
        http = session(port)
        cleanup.append(http)
        http.post("/api/v2/torrents/createCategory", data={"category": "music", "savePath": ""})
        http.post("/api/v2/torrents/createTags", data={"tags": "flac,kept"})
        reply = http.post(
            "/api/v2/torrents/add",
            data={"savepath": str(downloads), "category": "music", "tags": "flac"},
            files={"torrents": ("big.torrent", torrent, "application/x-bittorrent")},
        )
        assert reply.text == "Ok."
        (item,) = info(http)
        hash_ = str(item["hash"])
        http.post("/api/v2/torrents/addPeers", data={"hashes": hash_, "peers": peer})
        started = time.monotonic()

        def under_way() -> None:
            # past one resume-data save (every 10 s: the time is the point) and under way
            assert time.monotonic() - started >= 13, "before the first resume-data save"
            (item,) = info(http)
            peers = http.get("/api/v2/sync/torrentPeers", params={"hash": hash_}).json()
            assert float(item["progress"]) >= 0.3, (item, peers.get("peers"))

        eventually_sync(under_way, timeout=120, interval=0.2)
        progress_at_kill = float(info(http)[0]["progress"])
        assert progress_at_kill < 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()

    proc, port = start_client(data_dir)
    try:
        http = session(port)
        cleanup.append(http)
        (item,) = info(http)
        assert item["hash"] == hash_
        assert (item["category"], item["tags"]) == ("music", "flac")
        states = [item["state"]]

        def loaded() -> dict[str, object]:
            (item,) = info(http)
            states.append(item["state"])
            assert item["state"] != "checkingResumeData", item  # loading its resume data
            return item

        item = eventually_sync(loaded, timeout=30, interval=0.1)
        assert set(http.get("/api/v2/torrents/tags").json()) == {"flac", "kept"}
        assert "music" in http.get("/api/v2/torrents/categories").json()
        # resumed from the last save: at most ~10 s (10 MB here) behind, never from zero
        lost = (progress_at_kill - float(item["progress"])) * SIZE
        assert float(item["progress"]) > 0
        assert lost <= 12 * RATE, (progress_at_kill, item["progress"])
        assert not {"checkingDL", "checkingUP"} & set(states), states
        http.post("/api/v2/torrents/addPeers", data={"hashes": hash_, "peers": peer})

        def finished() -> None:
            (item,) = info(http)
            assert float(item["progress"]) == 1, item

        eventually_sync(finished, timeout=90, interval=0.3)
        assert (downloads / "Big").read_bytes() == source.read_bytes()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()
