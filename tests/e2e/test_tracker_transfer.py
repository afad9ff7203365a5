"""Real BitTorrent clients swapping files through `torrentstack serve tracker`.

libtorrent sessions, aria2c and transmission-cli announce over HTTP and UDP (BEP 15, keys in BEP 41
URL data) in the tracker's public, private and listed modes; the admin API then shows the swarm.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.waiting import eventually_sync

lt = pytest.importorskip("libtorrent")

pytestmark = [pytest.mark.slow, pytest.mark.libtorrent]

TOKEN = "e2e-admin-token"
LISTENING = re.compile(r"(tracker|tracker-api) listening on http://[\d.]+:(\d+)")
STARTUP_SECONDS = 30
ANNOUNCE_SECONDS = 15
TRANSFER_SECONDS = 40
PAYLOAD = {  # a few MB in several files and directories: pieces straddle file boundaries
    "a.bin": 1_500_000,
    "sub/b.bin": 700_001,
    "sub/deeper/c.txt": 12_345,
    "z.bin": 1_048_576,
}


# --- the tracker process ------------------------------------------------------------------------


@dataclass
class TrackerProcess:
    """A running `torrentstack serve tracker` and how to reach it."""

    proc: subprocess.Popen[str]
    host: str
    log: list[str]
    reader: threading.Thread
    port: int = 0
    api_port: int = 0

    def announce_url(self, scheme: str, key: str | None = None) -> str:
        path = "/announce" if key is None else f"/announce/{key}"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the admin API (`/api/v1/...`) and return its JSON body."""
        url = f"http://127.0.0.1:{self.api_port}/api/v1/{path}"
        response = httpx.request(method, url, params={"token": TOKEN}, timeout=10, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        return response.json()

    def new_key(self) -> str:
        body = self.api("POST", "keys", json={"key": None, "seconds_valid": None})
        assert body["valid_until"] is None
        assert re.fullmatch(r"[0-9A-Za-z]{32}", body["key"])
        return str(body["key"])

    def swarm(self, info_hash: str) -> Any:
        return self.api("GET", f"torrent/{info_hash}")

    def stop(self) -> None:
        _stop(self.proc)
        self.reader.join(timeout=15)  # it ends at EOF; close the pipe only after that
        assert self.proc.stderr is not None
        self.proc.stderr.close()


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


class _PortTaken(Exception):
    """The port the tracker's UDP socket got was taken for TCP (often by a client socket)."""


def _start_tracker(mode: str, host: str) -> TrackerProcess:
    env = dict(os.environ)  # XDG_CONFIG_HOME and XDG_DATA_HOME point into tmp_path (conftest)
    env.update(
        {
            "TORRENTSTACK_TRACKER__HOST": host,
            # UDP binds a free port, then HTTP the same one over TCP, where it may be taken: the
            # caller tries again. Ports picked in advance would race other sockets all the same.
            "TORRENTSTACK_TRACKER__PORT": "0",
            "TORRENTSTACK_TRACKER__API_HOST": "127.0.0.1",
            "TORRENTSTACK_TRACKER__API_PORT": "0",
            "TORRENTSTACK_TRACKER__API_TOKENS": json.dumps([TOKEN]),
            "TORRENTSTACK_TRACKER__MODE": mode,
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "torrentstack", "serve", "tracker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    ports: dict[str, int] = {}
    listening = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            log.append(line)
            match = LISTENING.search(line)
            if match:
                ports[match.group(1)] = int(match.group(2))
                if len(ports) == 2:
                    listening.set()
        listening.set()  # the process died: stop waiting

    reader = threading.Thread(target=read, name="tracker-stderr", daemon=True)
    reader.start()
    tracker = TrackerProcess(proc, host, log, reader)
    try:
        if not listening.wait(STARTUP_SECONDS) or len(ports) != 2:
            if "Address already in use" in "".join(log):
                raise _PortTaken
            raise AssertionError("the tracker did not start:\n" + "".join(log))
        tracker.port, tracker.api_port = ports["tracker"], ports["tracker-api"]
        # pytest-socket lets this process reach 127.0.0.1 only; the admin API is always there.
        urls = [f"http://127.0.0.1:{tracker.api_port}/healthz"]
        if host == "127.0.0.1":
            urls.append(f"http://127.0.0.1:{tracker.port}/healthz")

        def healthy() -> None:
            assert all(_healthy(url) for url in urls), "the tracker is not healthy:\n" + "".join(
                log
            )

        eventually_sync(healthy, timeout=STARTUP_SECONDS)
    except BaseException:
        tracker.stop()
        raise
    return tracker


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def start_tracker() -> Iterator[Callable[..., TrackerProcess]]:
    """Start `serve tracker` in a mode; it is stopped (TERM, then KILL) after the test."""
    started: list[TrackerProcess] = []

    def start(mode: str = "public", host: str = "127.0.0.1") -> TrackerProcess:
        for _ in range(4):
            try:
                started.append(_start_tracker(mode, host))
            except _PortTaken:
                continue
            return started[-1]
        raise AssertionError("no port free for both UDP and TCP in 4 tries")

    try:
        yield start
    finally:
        for tracker in started:
            tracker.stop()


# --- libtorrent peers ---------------------------------------------------------------------------


def _settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        # Only our tracker may introduce peers: no DHT, local peer discovery or port mapping.
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "listen_interfaces": "127.0.0.1:0",
        # Every peer here is 127.0.0.1, and libtorrent allows one connection per IP by default.
        "allow_multiple_connections_per_ip": True,
        # Each announce connects for an id of its own, so tests do not depend on libtorrent's
        # process-wide id cache (test_udp_connection_id_cached_by_libtorrent_is_accepted does).
        "udp_tracker_token_expiry": 0,
        "stop_tracker_timeout": 1,
        "alert_mask": lt.alert_category.error
        | lt.alert_category.status
        | lt.alert_category.tracker,
    }
    settings.update(overrides)
    return settings


@dataclass
class Peer:
    """One libtorrent session, plus every alert it raised (as text, for failure messages)."""

    name: str
    session: Any
    alerts: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.session.listen_port()}"

    def add(self, torrent: bytes, save_path: Path) -> Any:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(lt.bdecode(torrent))
        params.save_path = str(save_path)
        return self.session.add_torrent(params)

    def wait_for(self, accept: Callable[[Any], bool], seconds: float = ANNOUNCE_SECONDS) -> str:
        """Wait for an alert `accept` takes; return its text (alerts die at the next pop)."""
        deadline = time.monotonic() + seconds
        while True:
            for alert in self.session.pop_alerts():
                text = f"{type(alert).__name__}: {alert.message()}"
                self.alerts.append(text)
                if accept(alert):
                    return text
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no such alert in {seconds} s; it saw:\n{self}")
            self.session.wait_for_alert(int(min(remaining, 0.5) * 1000) + 1)

    def drain(self, wait_ms: int = 0) -> None:
        if wait_ms:
            self.session.wait_for_alert(wait_ms)
        self.alerts += [f"{type(a).__name__}: {a.message()}" for a in self.session.pop_alerts()]

    def __str__(self) -> str:
        return "\n".join(f"  {self.name}: {text}" for text in self.alerts)


@pytest.fixture
def lt_peer(start_tracker: Any) -> Iterator[Callable[..., Peer]]:
    """Make isolated libtorrent sessions; they stop (announcing it) before the tracker does."""
    peers: list[Peer] = []

    def make(name: str, **overrides: Any) -> Peer:
        params = lt.session_params()
        params.settings = _settings(**overrides)
        peers.append(Peer(name, lt.session(params)))
        return peers[-1]

    yield make
    for peer in peers:
        peer.session.pause()
    peers.clear()


def _is_reply(alert: Any) -> bool:
    return isinstance(alert, lt.tracker_reply_alert)


def _is_tracker_answer(alert: Any) -> bool:
    return isinstance(alert, lt.tracker_reply_alert | lt.tracker_error_alert)


def _reannounce(*handles: Any) -> None:
    for handle in handles:
        handle.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)


# --- content ------------------------------------------------------------------------------------


def _make_payload(parent: Path, name: str = "payload") -> Path:
    root = parent / name
    for relative, size in PAYLOAD.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(size))
    return root


def _make_torrent(
    payload: Path, tracker_url: str, *, private: bool = False, v1_only: bool = True
) -> tuple[bytes, str]:
    """A torrent of `payload` whose only tracker is `tracker_url`, and its v1 info hash."""
    flags = lt.create_torrent.v1_only if v1_only else 0  # 0: hybrid, libtorrent 2's default
    # list_files + create_torrent: lt.add_files warns (DeprecationWarning is an error here).
    ct = lt.create_torrent(lt.list_files(str(payload)), 0, flags)
    ct.add_tracker(tracker_url, 0)
    ct.set_priv(private)
    lt.set_piece_hashes(ct, str(payload.parent))
    torrent = bytes(lt.bencode(ct.generate()))
    return torrent, str(lt.torrent_info(lt.bdecode(torrent)).info_hashes().v1)


def _with_tracker(torrent: bytes, tracker_url: str) -> bytes:
    """The same torrent (same info hash) announcing to another URL."""
    decoded = lt.bdecode(torrent)
    decoded[b"announce"] = tracker_url.encode()
    return bytes(lt.bencode(decoded))


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --- libtorrent to libtorrent -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["public", "private"])
@pytest.mark.parametrize("scheme", ["http", "udp"])
def test_libtorrent_peers_swap_a_torrent(tmp_path, start_tracker, lt_peer, scheme, mode):
    tracker = start_tracker(mode)
    private = mode == "private"
    key = tracker.new_key() if private else None
    payload = _make_payload(tmp_path / "seed")
    # hybrid (v1 + v2), libtorrent's default: it announces both hashes
    torrent, info_hash = _make_torrent(
        payload, tracker.announce_url(scheme, key), private=private, v1_only=False
    )

    seeder, leecher = lt_peer("seeder"), lt_peer("leecher")
    seeding = seeder.add(torrent, tmp_path / "seed")
    seeder.wait_for(_is_reply)  # the seeder is in the swarm before the leecher asks for peers
    leeching = leecher.add(torrent, tmp_path / "leech")
    deadline = time.monotonic() + TRANSFER_SECONDS
    while not leeching.status().is_seeding:
        if time.monotonic() > deadline:
            status = leeching.status()
            raise AssertionError(
                f"progress {status.progress:.0%} from {status.num_peers} peers\n{seeder}\n{leecher}"
            )
        seeder.drain()
        leecher.drain(wait_ms=200)

    # Pieces pass their hash check from memory: the files may still be catching up.
    leeching.flush_cache()
    wanted, leeched = _files(payload), tmp_path / "leech" / payload.name
    deadline = time.monotonic() + ANNOUNCE_SECONDS
    while _files(leeched) != wanted and time.monotonic() < deadline:
        leecher.drain(wait_ms=100)
    assert _files(leeched) == wanted
    assert not [text for text in seeder.alerts + leecher.alerts if "tracker_error" in text]

    # The leecher announced `completed` and both seed; re-announce until the tracker shows it.
    expected = {seeder.endpoint, leecher.endpoint}
    deadline = time.monotonic() + ANNOUNCE_SECONDS
    while True:
        swarm = tracker.swarm(info_hash)
        addresses = {peer["peer_addr"] for peer in swarm["peers"]}
        if swarm["completed"] >= 1 and swarm["seeders"] == 2 and addresses == expected:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"tracker swarm {swarm}, expected {expected}")
        _reannounce(seeding, leeching)
        seeder.drain()
        leecher.drain(wait_ms=500)
    assert swarm["leechers"] == 0
    assert [peer["left"] for peer in swarm["peers"]] == [0, 0]


@pytest.mark.parametrize("scheme", ["http", "udp"])
def test_private_tracker_refuses_a_wrong_key(tmp_path, start_tracker, lt_peer, scheme):
    tracker = start_tracker("private")
    payload = _make_payload(tmp_path / "seed")
    torrent, info_hash = _make_torrent(
        payload, tracker.announce_url(scheme, tracker.new_key()), private=True
    )
    wrong_key = secrets.token_hex(16)  # well formed (32 alphanumerics), never issued
    wrong = _with_tracker(torrent, tracker.announce_url(scheme, wrong_key))

    seeder, intruder = lt_peer("seeder"), lt_peer("intruder")
    seeding = seeder.add(torrent, tmp_path / "seed")
    seeder.wait_for(_is_reply)
    refused = intruder.add(wrong, tmp_path / "intruder")
    answer = intruder.wait_for(_is_tracker_answer)

    assert answer.startswith("tracker_error_alert"), answer
    if scheme == "http":  # libtorrent loses a UDP error's text (it reads it from offset 0)
        assert f"Failed to read key: {wrong_key}" in answer
    # The refused announce added nobody: the seeder, asking again, still gets no peers.
    _reannounce(seeding)
    answer = seeder.wait_for(_is_reply)
    assert "received peers: 0" in answer, answer
    assert [peer["peer_addr"] for peer in tracker.swarm(info_hash)["peers"]] == [seeder.endpoint]
    status = refused.status()
    assert (status.num_peers, status.total_wanted_done) == (0, 0)


@pytest.mark.parametrize("scheme", ["http", "udp"])
def test_listed_tracker_serves_only_whitelisted_torrents(tmp_path, start_tracker, lt_peer, scheme):
    tracker = start_tracker("listed")
    url = tracker.announce_url(scheme)
    listed, listed_hash = _make_torrent(_make_payload(tmp_path, "listed"), url)
    unlisted, unlisted_hash = _make_torrent(_make_payload(tmp_path, "unlisted"), url)
    assert tracker.api("POST", f"whitelist/{listed_hash}") == {"status": "ok"}

    seeder = lt_peer("seeder")
    seeder.add(listed, tmp_path)
    seeder.add(unlisted, tmp_path)
    answers: dict[str, str] = {}

    def both_answered(alert: Any) -> bool:
        if _is_tracker_answer(alert):
            answers.setdefault(alert.torrent_name, f"{type(alert).__name__}: {alert.message()}")
        return len(answers) == 2

    seeder.wait_for(both_answered)
    assert answers["listed"].startswith("tracker_reply_alert"), answers
    assert answers["unlisted"].startswith("tracker_error_alert"), answers
    if scheme == "http":
        assert f"The torrent: {unlisted_hash}, is not whitelisted" in answers["unlisted"]
    assert [peer["peer_addr"] for peer in tracker.swarm(listed_hash)["peers"]] == [seeder.endpoint]
    assert tracker.swarm(unlisted_hash) == "torrent not known"


# --- Debian's clients download from a libtorrent seeder -----------------------------------------


def _debian_client(binary: str, package: str) -> str:
    """The client's path. Skip without it, except in CI: scripts/services installs it there."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (scripts/services installs Debian's {package})"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BITTORRENT_CLIENTS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(tmp_path: Path, tracker: TrackerProcess, seeder: Peer, scheme: str) -> tuple[Any, ...]:
    """Seed a new payload: (payload dir, .torrent path, v1 info hash, handle)."""
    payload = _make_payload(tmp_path / "seed")
    torrent, info_hash = _make_torrent(payload, tracker.announce_url(scheme))
    torrent_file = tmp_path / "payload.torrent"
    torrent_file.write_bytes(torrent)
    handle = seeder.add(torrent, tmp_path / "seed")
    seeder.wait_for(_is_reply)
    return payload, torrent_file, info_hash, handle


@pytest.mark.parametrize("scheme", ["http", "udp"])
def test_aria2c_downloads_from_libtorrent(tmp_path, start_tracker, lt_peer, scheme):
    aria2c = _debian_client("aria2c", "aria2")
    tracker = start_tracker()
    payload, torrent_file, info_hash, _ = _seed(tmp_path, tracker, lt_peer("seeder"), scheme)
    out = tmp_path / "aria2"
    command = [
        aria2c,
        "--no-conf",
        f"--dir={out}",
        # Seed a moment before exiting: with --seed-time=0 aria2 goes from `started` straight
        # to `stopped` and never announces `completed`.
        "--seed-time=0.02",
        "--interface=127.0.0.1",
        f"--listen-port={_free_port(socket.SOCK_STREAM)}",
        # aria2 speaks UDP to trackers only with its DHT on; with no routing table and no
        # entry point, that DHT stays silent.
        f"--enable-dht={str(scheme == 'udp').lower()}",
        f"--dht-listen-port={_free_port(socket.SOCK_DGRAM)}",
        f"--dht-file-path={tmp_path / 'dht.dat'}",
        "--enable-dht6=false",
        "--bt-enable-lpd=false",
        "--enable-peer-exchange=false",
        "--bt-tracker-connect-timeout=5",
        "--bt-tracker-timeout=5",
        "--summary-interval=0",
        "--console-log-level=warn",
        str(torrent_file),
    ]
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TRANSFER_SECONDS, check=False
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert _files(out / payload.name) == _files(payload)
    assert tracker.swarm(info_hash)["completed"] == 1


def test_transmission_downloads_from_libtorrent(tmp_path, start_tracker, lt_peer):
    transmission = _debian_client("transmission-cli", "transmission-cli")
    tracker = start_tracker()
    # TCP only: libtorrent's uTP connection to transmission 3.00 times out on loopback.
    seeder = lt_peer("seeder", enable_outgoing_utp=False, enable_incoming_utp=False)
    payload, torrent_file, info_hash, seeding = _seed(tmp_path, tracker, seeder, "http")
    config = tmp_path / "transmission"
    config.mkdir()
    settings = {
        "bind-address-ipv4": "127.0.0.1",
        "bind-address-ipv6": "::1",
        "peer-port": _free_port(socket.SOCK_STREAM),
        "dht-enabled": False,
        "lpd-enabled": False,
        "pex-enabled": False,
        "utp-enabled": False,
        "port-forwarding-enabled": False,
        "rpc-enabled": False,
        "rename-partial-files": False,
    }
    (config / "settings.json").write_text(json.dumps(settings))
    out, log = tmp_path / "out", tmp_path / "transmission.log"
    with log.open("w") as output:  # a file, not a pipe: nothing blocks on progress lines
        proc = subprocess.Popen(
            [
                transmission,
                "--config-dir",
                str(config),
                "--download-dir",
                str(out),
                str(torrent_file),
            ],
            env=dict(os.environ, HOME=str(tmp_path / "home")),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Transmission drops tracker peers on 127/8 as "martian", so it never dials the seeder;
        # the seeder, re-announcing, learns transmission's address and dials it instead.
        # Transmission asks for pieces at its first rechoke pulse, 10 s after it starts.
        deadline = time.monotonic() + TRANSFER_SECONDS
        while (swarm := tracker.swarm(info_hash))["completed"] < 1:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(f"transmission did not complete: {swarm}\n{seeder}")
            if seeding.status().num_peers == 0:
                _reannounce(seeding)
            seeder.drain(wait_ms=500)
    finally:
        _stop(proc)
    assert _files(out / payload.name) == _files(payload), log.read_text()


# --- what real clients do that the BEPs do not say ----------------------------------------------------


def test_udp_connection_id_cached_by_libtorrent_is_accepted(tmp_path, start_tracker, lt_peer):
    # A tracker on 127.0.0.2 of its own: libtorrent's cache is keyed by the tracker's IP and
    # shared by the whole process, so the id cached here must not reach any other test.
    tracker = start_tracker(host="127.0.0.2")
    url = tracker.announce_url("udp")
    first = lt_peer("first", udp_tracker_token_expiry=60)  # libtorrent's default
    second = lt_peer(
        "second",
        udp_tracker_token_expiry=60,
        tracker_receive_timeout=2,
        tracker_completion_timeout=2,
    )
    first.add(_make_torrent(_make_payload(tmp_path, "one"), url)[0], tmp_path)
    assert first.wait_for(_is_tracker_answer).startswith("tracker_reply_alert")
    # The second session sends the first one's cached connection id, from its own port.
    second.add(_make_torrent(_make_payload(tmp_path, "two"), url)[0], tmp_path)
    answer = second.wait_for(_is_tracker_answer)
    assert answer.startswith("tracker_reply_alert"), answer
