"""Real BitTorrent daemons on loopback for the tests: qbittorrent-nox, transmission-daemon and
deluged, each in a temp profile on free 127.0.0.1 ports with known credentials.

`run_qbittorrent_nox`, `run_transmission_daemon` and `run_deluged` are context managers that
start the daemon, poll until its API answers a logged-in call and kill it after; the fixtures of
the same name (without `run_`) wrap them for a test. Each yields a `Daemon`: its cross-seed
client URL (`daemon.url`, e.g. `qbittorrent:http://admin:secret@127.0.0.1:PORT`), credentials
and download directory. A missing binary skips the test, except in CI (scripts/services installs
Debian's qbittorrent-nox, transmission-daemon and deluged there). DHT, LSD, PeX, UPnP/NAT-PMP
are off: nothing leaves the machine.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.waiting import eventually_sync

USERNAME = "admin"
PASSWORD = "correct horse battery"
START_SECONDS = 30


@dataclass
class Daemon:
    """A running BitTorrent daemon as a test sees it."""

    kind: str  # "qbittorrent", "transmission" or "deluge"
    host: str
    port: int  # the API's (WebUI, RPC, daemon RPC)
    username: str
    password: str
    profile: Path
    downloads: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """The cross-seed `torrentClients` entry for it (credentials included)."""
        base = f"http://{self.username}:{self.password}@{self.host}:{self.port}".replace(" ", "%20")
        if self.kind == "transmission":
            return f"transmission:{base}/transmission/rpc"
        if self.kind == "deluge":
            return f"deluge:{base.replace('http://', 'rpc://')}"
        return f"qbittorrent:{base}"

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def debian_binary(binary: str, package: str) -> str:
    """The binary's path. Skip without it, except in CI: scripts/services installs it there."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (scripts/services installs Debian's {package})"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BITTORRENT_CLIENTS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def qbittorrent_password_hash(password: str, salt: bytes | None = None) -> str:
    """qBittorrent's `WebUI\\Password_PBKDF2` value: PBKDF2-HMAC-SHA512, 100 000 rounds."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, dklen=64)
    return f"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"


@contextlib.contextmanager
def _process(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        proc = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait_ready(daemon: Daemon, check: object) -> None:
    def ready() -> bool:
        if daemon.process.poll() is not None:
            raise RuntimeError(f"{daemon.kind} exited early:\n{daemon.logs()}")
        try:
            check()  # type: ignore[operator]
        except Exception:  # any error: not ready yet (connection refused, 401 during startup)
            return False
        return True

    eventually_sync(
        ready,
        timeout=START_SECONDS,
        interval=0.1,
        message=f"{daemon.kind} did not become ready",
    )


@contextlib.contextmanager
def run_qbittorrent_nox(root: Path) -> Iterator[Daemon]:
    """qbittorrent-nox with a profile under `root`, a WebUI login of USERNAME / PASSWORD."""
    binary = debian_binary("qbittorrent-nox", "qbittorrent-nox")
    profile, downloads = root / "qbittorrent-profile", root / "qbittorrent-downloads"
    config = profile / "qBittorrent" / "config"
    config.mkdir(parents=True)
    downloads.mkdir(parents=True)
    port, peer_port = free_port(), free_port()
    (config / "qBittorrent.conf").write_text(
        "\n".join(
            [
                "[LegalNotice]",
                "Accepted=true",
                "",
                "[BitTorrent]",
                f"Session\\DefaultSavePath={downloads}",
                f"Session\\Port={peer_port}",
                "Session\\Interface=lo",
                "Session\\InterfaceName=lo",
                "Session\\InterfaceAddress=127.0.0.1",
                "Session\\DHTEnabled=false",
                "Session\\LSDEnabled=false",
                "Session\\PeXEnabled=false",
                "Session\\AnonymousModeEnabled=true",
                "",
                "[Network]",
                "PortForwardingEnabled=false",
                "",
                "[Preferences]",
                "Connection\\UPnP=false",
                "General\\Locale=en",
                "WebUI\\Address=127.0.0.1",
                f"WebUI\\Port={port}",
                f"WebUI\\Username={USERNAME}",
                f'WebUI\\Password_PBKDF2="{qbittorrent_password_hash(PASSWORD)}"',
                "WebUI\\LocalHostAuth=true",
                "WebUI\\HostHeaderValidation=false",
                "WebUI\\CSRFProtection=false",
                "WebUI\\UseUPnP=false",
                "",
            ]
        )
    )
    log = root / "qbittorrent.log"
    env = dict(os.environ, HOME=str(root / "qbittorrent-home"))
    with _process([binary, f"--profile={profile}", f"--webui-port={port}"], log, env) as proc:
        daemon = Daemon(
            "qbittorrent", "127.0.0.1", port, USERNAME, PASSWORD, profile, downloads, proc, log
        )

        def check() -> None:
            import qbittorrentapi

            client = qbittorrentapi.Client(
                host=f"http://127.0.0.1:{port}",
                username=USERNAME,
                password=PASSWORD,
                REQUESTS_ARGS={"timeout": 2},
            )
            client.auth_log_in()
            client.app_version()

        _wait_ready(daemon, check)
        yield daemon


@contextlib.contextmanager
def run_transmission_daemon(root: Path) -> Iterator[Daemon]:
    """transmission-daemon with a config dir under `root`, RPC login USERNAME / PASSWORD."""
    binary = debian_binary("transmission-daemon", "transmission-daemon")
    profile, downloads = root / "transmission-config", root / "transmission-downloads"
    profile.mkdir(parents=True)
    downloads.mkdir(parents=True)
    port = free_port()
    settings = {
        "bind-address-ipv4": "127.0.0.1",
        "bind-address-ipv6": "::1",
        "peer-port": free_port(),
        "peer-port-random-on-start": False,
        "dht-enabled": False,
        "lpd-enabled": False,
        "pex-enabled": False,
        "utp-enabled": False,
        "port-forwarding-enabled": False,
        "rename-partial-files": False,
        "download-dir": str(downloads),
        "incomplete-dir-enabled": False,
        "rpc-enabled": True,
        "rpc-bind-address": "127.0.0.1",
        "rpc-port": port,
        "rpc-authentication-required": True,
        "rpc-username": USERNAME,
        "rpc-password": PASSWORD,  # transmission hashes it on start
        "rpc-whitelist-enabled": True,
        "rpc-whitelist": "127.0.0.1",
        "rpc-host-whitelist-enabled": False,
        "message-level": 2,
    }
    (profile / "settings.json").write_text(json.dumps(settings))
    log = root / "transmission.log"
    command = [binary, "--foreground", f"--config-dir={profile}", f"--logfile={log}"]
    with _process(command, root / "transmission.stdout") as proc:
        daemon = Daemon(
            "transmission", "127.0.0.1", port, USERNAME, PASSWORD, profile, downloads, proc, log
        )

        def check() -> None:
            import transmission_rpc

            transmission_rpc.Client(
                host="127.0.0.1", port=port, username=USERNAME, password=PASSWORD, timeout=2
            ).get_session()

        _wait_ready(daemon, check)
        yield daemon


@contextlib.contextmanager
def run_deluged(root: Path) -> Iterator[Daemon]:
    """deluged with a config dir under `root`, a daemon RPC login USERNAME / PASSWORD and the
    Label plugin on."""
    binary = debian_binary("deluged", "deluged")
    profile, downloads = root / "deluge-config", root / "deluge-downloads"
    profile.mkdir(parents=True)
    downloads.mkdir(parents=True)
    port, peer_port = free_port(), free_port()
    (profile / "auth").write_text(f"{USERNAME}:{PASSWORD}:10\n")
    core = {
        "download_location": str(downloads),
        "move_completed": False,
        "listen_ports": [peer_port, peer_port],
        "random_port": False,
        "listen_interface": "127.0.0.1",
        "outgoing_interface": "lo",
        "dht": False,
        "lsd": False,
        "upnp": False,
        "natpmp": False,
        "utpex": False,
        "new_release_check": False,
        "enabled_plugins": ["Label"],
        "daemon_port": port,
        "allow_remote": False,
    }
    # Deluge's config format: a version header object, then the settings object
    (profile / "core.conf").write_text(
        json.dumps({"file": 1, "format": 1}) + json.dumps(core, indent=2)
    )
    log = root / "deluged.log"
    command = [
        binary, "--do-not-daemonize", f"--config={profile}", f"--port={port}",
        "--ui-interface=127.0.0.1", "--interface=127.0.0.1", f"--logfile={log}", "--loglevel=info",
    ]  # fmt: skip
    env = dict(os.environ, HOME=str(root / "deluge-home"))
    with _process(command, root / "deluged.stdout", env) as proc:
        daemon = Daemon(
            "deluge", "127.0.0.1", port, USERNAME, PASSWORD, profile, downloads, proc, log
        )

        def check() -> None:
            from deluge_client import DelugeRPCClient

            client = DelugeRPCClient(
                "127.0.0.1", port, USERNAME, PASSWORD, decode_utf8=True, automatic_reconnect=False
            )
            try:
                client.connect()
                assert "Label" in client.call("core.get_enabled_plugins")
            finally:
                client._socket.close()  # disconnect() skips a socket whose connect failed

        _wait_ready(daemon, check)
        yield daemon


@pytest.fixture
def qbittorrent_nox(tmp_path: Path) -> Iterator[Daemon]:
    with run_qbittorrent_nox(tmp_path / "daemon") as daemon:
        yield daemon


@pytest.fixture
def transmission_daemon(tmp_path: Path) -> Iterator[Daemon]:
    with run_transmission_daemon(tmp_path / "daemon") as daemon:
        yield daemon


@pytest.fixture
def deluged(tmp_path: Path) -> Iterator[Daemon]:
    with run_deluged(tmp_path / "daemon") as daemon:
        yield daemon
