"""Download client, side by side: our `torrentstack serve client` against Debian's qbittorrent-nox.

    .venv/bin/python bench/client/run.py [--rounds N] [--torrents N] [--batch N] [--samples K]
        [--transfer-size SIZE] [--only ours|qbittorrent-nox] [--markdown-out FILE]

Installs `qbittorrent-nox` with apt-get if it is missing. Each round starts every target fresh
(its own temporary profile, pinned to one core with `taskset -c 0`; this process, which also
runs the seeder, takes the other core), all on loopback, and measures through the qBittorrent
WebUI API v2 over one keep-alive connection:

1. load: `--torrents` tiny generated single-file v1 torrents (cached in bench/client/build/;
   their content exists nowhere, one of 8 tracker URLs on 127.0.0.1:1 each, 4 categories,
   3 tags) posted paused (`paused=true&stopped=true`) to `torrents/add`, `--batch` files per
   multipart request, timed until `torrents/info` lists them all out of the checking states;
   then the time until the server idles (qbittorrent-nox keeps writing resume data for a
   while), so that the requests below are not slowed by it;
2. `sync/maindata?rid=0` (full): median latency of K requests and the body size, sent with
   `Accept-Encoding: identity`; one more with gzip gives the compressed size on the wire;
3. `sync/maindata` incremental with nothing changed: one full request, then K polls that each
   send the rid of the previous answer (what the WebUI does every 1.5 s);
4. `torrents/info?limit=100` and `torrents/info` (all): median latency of K requests;
5. memory: VmRSS of the server's process tree before and after loading (once idle), per
   torrent;
6. transfer: a `--transfer-size` single-file torrent (data cached in build/) seeded by a
   libtorrent session in this process (127.0.0.1 only, plain TCP: no uTP, no encryption, no
   DHT/LSD/UPnP/NAT-PMP, no tracker), added unpaused to the loaded target, which is handed the
   seeder with `torrents/addPeers`; timed from the add until `torrents/info` (polled every
   0.2 s) reports progress 1, and on the seeder's side: the delay until the first byte leaves
   (a target that tries uTP first waits for that to fail) and the rate from first to last.

Both targets get the same choices: WebUI and BitTorrent on 127.0.0.1 only, no DHT, LSD, PeX
or UPnP, no queueing, no CSRF or Host-header checks (ours through TORRENTSTACK_* settings,
read from `torrentstack config defaults` so that settings it lacks are skipped with a warning).

CPU speed on a shared VM swings ~2x, so the targets take turns within each round and the
summary reports medians and the median of the per-round ratios ours/qbittorrent-nox (for
latency, bytes and memory lower is better; for throughput higher is better). A measurement a
target cannot make (an endpoint answering 404, a setting it lacks) is reported as unavailable
with a one-line reason, and the other target's numbers still print. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import libtorrent as lt

from torrentstack.bittorrent.bencode import Encodable, encode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD = HERE / "build"
QBITTORRENT = Path("/usr/bin/qbittorrent-nox")
TARGETS = ("ours", "qbittorrent-nox")
PROGRAM = {"ours": "`torrentstack serve client`", "qbittorrent-nox": "qbittorrent-nox"}
READY_TIMEOUT = {"ours": 60.0, "qbittorrent-nox": 30.0}
SETTLE_TIMEOUT = 120.0
STOP_GRACE = 60.0  # qbittorrent-nox writes resume data for every torrent on SIGTERM
USERNAME = "admin"
CHECKING = {"checkingUP", "checkingDL", "checkingResumeData", "moving", "allocating"}
ERRORED = {"error", "missingFiles"}
TINY_PIECE = 16 * 1024
TRACKERS = [f"http://127.0.0.1:1/{k}/announce" for k in range(8)]  # port 1: nothing listens
MIB = 1024 * 1024
# What the bench sets on `torrentstack serve client` (TORRENTSTACK_<SECTION>__<KEY>), when the
# installed version has the setting (`torrentstack config defaults`).
OUR_SETTINGS = (
    "paths.data_dir",
    "log.access_log",
    "client.host",
    "client.port",
    "client.webui_username",
    "client.webui_password",
    "client.listen_port",
    "client.save_path",
    "client.csrf_protection",
    "client.host_header_validation",
    "client.preferences",
)
# The same choices as the qbittorrent-nox profile: nothing leaves loopback (no DHT, LSD, PeX,
# UPnP; bound to lo), and no queueing, so paused torrents are just paused.
OUR_PREFERENCES = {
    "dht": False,
    "lsd": False,
    "pex": False,
    "upnp": False,
    "current_network_interface": "lo",
    "current_interface_address": "127.0.0.1",
    "queueing_enabled": False,
}
MB = 1_000_000


class BenchError(Exception):
    """A step of the benchmark failed; the message is one line for the user."""


class Unavailable(BenchError):
    """The target cannot make this measurement (an endpoint it does not have)."""


@dataclass(frozen=True, slots=True)
class Options:
    torrents: int
    batch: int
    samples: int
    transfer_size: int
    load_timeout: float
    transfer_timeout: float
    server_cpu: int | None
    bench_cpu: int | None


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    unit: str
    fmt: str
    lower_is_better: bool = True


METRICS = (
    Metric("load_s", "load N paused torrents", "s", "{:.2f}"),
    Metric("settle_s", "busy after loading (over 5% CPU)", "s", "{:.1f}"),
    Metric("full_ms", "sync/maindata rid=0", "ms", "{:.0f}"),
    Metric("full_mb", "sync/maindata rid=0 body", "MB", "{:.2f}"),
    Metric("full_gzip_mb", "sync/maindata rid=0 gzip on the wire", "MB", "{:.2f}"),
    Metric("delta_ms", "sync/maindata incremental, nothing changed", "ms", "{:.1f}"),
    Metric("delta_bytes", "sync/maindata incremental body", "B", "{:.0f}"),
    Metric("info100_ms", "torrents/info?limit=100", "ms", "{:.1f}"),
    Metric("info_ms", "torrents/info (all)", "ms", "{:.0f}"),
    Metric("info_mb", "torrents/info (all) body", "MB", "{:.2f}"),
    Metric("rss_idle_mb", "RSS before loading", "MB", "{:.1f}"),
    Metric("kb_per_torrent", "RSS growth per torrent", "KB", "{:.1f}"),
    Metric("transfer_mbs", "transfer, add to complete", "MB/s", "{:.0f}", lower_is_better=False),
    Metric("transfer_start_s", "transfer, add to the seeder's first byte", "s", "{:.1f}"),
    Metric("transfer_wire_mbs", "transfer, seeder's first to last byte", "MB/s", "{:.0f}", False),
)


@dataclass(slots=True)
class Result:
    target: str
    round: int
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Payload:
    """The transfer torrent: its file, its metainfo bytes and its v1 info hash."""

    data: Path
    torrent: bytes
    info_hash: str
    size: int


@dataclass(frozen=True, slots=True)
class Seeder:
    payload: Payload
    port: int
    handle: Any  # libtorrent.torrent_handle

    def uploaded(self) -> int:
        """Payload bytes sent since the seeder started (all targets, all rounds)."""
        return int(self.handle.status().total_payload_upload)


# --- tools ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_qbittorrent() -> None:
    """Install Debian's qbittorrent-nox unless it is there (sudo only when not root)."""
    if QBITTORRENT.exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "--no-install-recommends", "qbittorrent-nox"]
    progress("installing qbittorrent-nox: " + " ".join(install))
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], env=env, check=False)
        subprocess.run(install, env=env, check=True)
    if not QBITTORRENT.exists():
        raise BenchError(f"apt-get did not install {QBITTORRENT}")


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (qbittorrent-nox cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse_size(text: str) -> int:
    """`2GiB`, `256MiB`, `500M`, `1.5G` or plain bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)(i?)B?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    number, prefix, binary = match.groups()
    base = 1024 if binary or not prefix else 1000
    return int(float(number) * base ** " KMGT".index(prefix.upper() or " "))


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(current := todo.pop())
        todo.extend(children.get(current, []))
    return tree


def rss_kb(pid: int) -> int:
    """VmRSS of `pid` and all its descendants, in KiB."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and all its descendants."""
    ticks = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the torrents --------------------------------------------------------------------------


def tiny_torrents(count: int) -> list[tuple[str, bytes]]:
    """(file name, metainfo) of `count` distinct one-piece torrents, cached in build/tiny-v1/."""
    folder = BUILD / "tiny-v1"
    folder.mkdir(parents=True, exist_ok=True)
    corpus = []
    for i in range(count):
        path = folder / f"tiny-{i:06d}.torrent"
        if not path.exists():
            length = TINY_PIECE - i % 997  # one piece of about 16 KiB
            content = hashlib.shake_128(b"torrentstack client bench %d" % i).digest(length)
            info: dict[str, Encodable] = {
                "length": length,
                "name": f"tiny-{i:06d}.bin",
                "piece length": TINY_PIECE,
                "pieces": hashlib.sha1(content, usedforsecurity=False).digest(),
            }
            metainfo: dict[str, Encodable] = {
                "announce": TRACKERS[i % len(TRACKERS)],
                "created by": "torrentstack bench",
                "creation date": 1_700_000_000,
                "info": info,
            }
            path.write_bytes(encode(metainfo))
        corpus.append((path.name, path.read_bytes()))
    return corpus


def transfer_payload(size: int) -> Payload:
    """A `size`-byte random file and its v1 torrent, both cached in build/."""
    data = BUILD / f"transfer-{size}.bin"
    torrent_path = BUILD / f"transfer-{size}.torrent"
    if not data.exists() or data.stat().st_size != size:
        progress(f"writing {size / MIB:,.0f} MiB of random data to {data}")
        partial = data.with_suffix(".partial")
        with partial.open("wb") as out:
            for offset in range(0, size, 64 * MIB):
                out.write(os.urandom(min(64 * MIB, size - offset)))
        partial.replace(data)
        torrent_path.unlink(missing_ok=True)
    if not torrent_path.exists():
        progress(f"hashing {data.name}")
        files = lt.file_storage()
        files.add_file(data.name, size)
        with warnings.catch_warnings():  # the file_storage constructor is deprecated in 2.1
            warnings.simplefilter("ignore", DeprecationWarning)
            creator = lt.create_torrent(files, 0, lt.create_torrent.v1_only)
        creator.set_creator("torrentstack bench")
        lt.set_piece_hashes(creator, str(BUILD))
        torrent_path.write_bytes(lt.bencode(creator.generate()))
    torrent = torrent_path.read_bytes()
    info_hash = str(lt.torrent_info(torrent).info_hashes().v1)
    return Payload(data, torrent, info_hash, size)


@contextlib.contextmanager
def seeding(payload: Payload) -> Iterator[Seeder]:
    """A libtorrent session on 127.0.0.1 seeding the payload over plain TCP.

    uTP and encryption are refused, so every target downloads over the same transport (a
    target that tries uTP or an encrypted handshake first pays its fallback in `transfer
    start`). The data is checked once here, not lazily in seed mode, so every round reads the
    same way.
    """
    port = free_port()
    session = lt.session(
        {
            "listen_interfaces": f"127.0.0.1:{port}",
            "outgoing_interfaces": "lo",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "in_enc_policy": int(lt.enc_policy.disabled),
            "out_enc_policy": int(lt.enc_policy.disabled),
            "alert_mask": 0,
            "user_agent": "torrentstack-bench-seeder",
        }
    )
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(payload.torrent)
    params.save_path = str(payload.data.parent)
    handle = session.add_torrent(params)
    try:
        started = time.monotonic()
        while not (status := handle.status()).is_seeding:
            if status.errc.value() or time.monotonic() - started > 300:
                raise BenchError(f"the seeder did not get to seeding {payload.data.name}")
            time.sleep(0.1)
        progress(f"seeder checked {payload.data.name} in {time.monotonic() - started:.1f} s")
        yield Seeder(payload, port, handle)
    finally:
        session.remove_torrent(handle)
        del session


class UploadClock(threading.Thread):
    """Samples the seeder's payload counter every 20 ms: when the first and the last byte left.

    qbittorrent-nox refreshes torrent status only every 1.5 s (`RefreshInterval`), so the API
    alone cannot time a transfer of a few seconds; the seeder's counter can.
    """

    def __init__(self, seeder: Seeder) -> None:
        super().__init__(daemon=True)
        self.seeder, self.baseline = seeder, seeder.uploaded()
        self.first: float | None = None
        self.last: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            sent, now = self.seeder.uploaded() - self.baseline, time.perf_counter()
            if sent > 0 and self.first is None:
                self.first = now
            if sent >= self.seeder.payload.size:
                self.last = now
                return


# --- the targets ---------------------------------------------------------------------------


def our_settings() -> set[str]:
    """`section.key` of every setting `torrentstack config defaults` prints."""
    done = subprocess.run(
        [*torrentstack_command(), "config", "defaults"],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    if done.returncode != 0:
        raise BenchError(f"`torrentstack config defaults` failed: {done.stderr.strip()[:200]}")
    settings, section = set(), ""
    for line in done.stdout.splitlines():
        if header := re.fullmatch(r"\[(\w+)\]", line.strip()):
            section = header.group(1)
        elif key := re.match(r"#? ?(\w+) = ", line):
            settings.add(f"{section}.{key.group(1)}")
    return settings


def torrentstack_command() -> list[str]:
    executable = REPO / ".venv" / "bin" / "torrentstack"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "torrentstack"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TORRENTSTACK_")}


def pbkdf2_entry(password: str) -> str:
    """qBittorrent's `WebUI\\Password_PBKDF2` value: PBKDF2-HMAC-SHA512, 100000 rounds."""
    salt = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, dklen=64)
    return f'"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"'


def qbittorrent_command(
    workdir: Path, port: int, password: str
) -> tuple[list[str], dict[str, str]]:
    profile, home, downloads = workdir / "profile", workdir / "home", workdir / "dl"
    config = profile / "qBittorrent" / "config"
    for folder in (config, home, downloads):
        folder.mkdir(parents=True, exist_ok=True)
    (config / "qBittorrent.conf").write_text(
        "[LegalNotice]\nAccepted=true\n\n"
        "[BitTorrent]\n"
        "Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
        f"Session\\Port={free_port()}\n"
        "Session\\Interface=lo\nSession\\InterfaceName=lo\nSession\\InterfaceAddress=127.0.0.1\n"
        "Session\\QueueingSystemEnabled=false\n"
        f"Session\\DefaultSavePath={downloads}\nSession\\TempPathEnabled=false\n\n"
        "[Network]\nPortForwardingEnabled=false\n\n"
        "[Preferences]\n"
        "Connection\\ResolvePeerCountries=false\nConnection\\UPnP=false\n"
        f"Downloads\\SavePath={downloads}\n"
        f"WebUI\\Address=127.0.0.1\nWebUI\\Port={port}\nWebUI\\UseUPnP=false\n"
        f"WebUI\\Username={USERNAME}\nWebUI\\Password_PBKDF2={pbkdf2_entry(password)}\n"
        "WebUI\\LocalHostAuth=true\nWebUI\\CSRFProtection=false\n"
        "WebUI\\HostHeaderValidation=false\n"
    )
    command = [str(QBITTORRENT), f"--webui-port={port}", f"--profile={profile}"]
    return command, {**clean_env(), "HOME": str(home)}


def ours_command(
    workdir: Path, port: int, password: str, settings: set[str]
) -> tuple[list[str], dict[str, str]]:
    downloads = workdir / "dl"
    downloads.mkdir(parents=True, exist_ok=True)
    wanted = {
        "paths.data_dir": str(workdir / "data"),
        "log.access_log": "false",
        "client.host": "127.0.0.1",
        "client.port": str(port),
        "client.webui_username": USERNAME,
        "client.webui_password": password,
        "client.listen_port": str(free_port()),
        "client.save_path": str(downloads),
        "client.csrf_protection": "false",
        "client.host_header_validation": "false",
        "client.preferences": json.dumps(OUR_PREFERENCES),
    }
    env = clean_env() | {
        "XDG_DATA_HOME": str(workdir / "xdg-data"),
        "XDG_CONFIG_HOME": str(workdir / "xdg-config"),  # no user config file
    }
    for name, setting in wanted.items():
        if name in settings:  # unknown settings are errors: pass only those that exist
            section, key = name.split(".")
            env[f"TORRENTSTACK_{section.upper()}__{key.upper()}"] = setting
    return [*torrentstack_command(), "serve", "client"], env


@dataclass(slots=True)
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    api: Api
    log: Path

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(
                f"{PROGRAM[self.name]} exited with status {self.proc.returncode}: "
                f"{last_line(self.log)}"
            )

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> float:
        """Wait until the server idles (under 5% of a core for 1 s); return the seconds waited.

        After loading, qbittorrent-nox keeps a core busy for a while (resume data for every new
        torrent), which would otherwise slow the first requests measured.
        """
        started = time.monotonic()
        used = cpu_seconds(self.proc.pid)
        while time.monotonic() - started < timeout:
            time.sleep(1.0)
            self.alive()
            used, before = cpu_seconds(self.proc.pid), used
            if used - before < 0.05:
                return time.monotonic() - started - 1.0
        progress(f"{self.name}: still busy {timeout:.0f} s after loading; measuring anyway")
        return timeout


class Api:
    """The WebUI API over one keep-alive connection; `Accept-Encoding: identity` by default."""

    def __init__(self, port: int) -> None:
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v2/",
            headers={"Accept-Encoding": "identity"},
            timeout=httpx.Timeout(300.0, connect=5.0),
            trust_env=False,  # no proxy: loopback only
        )

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
        """Send one request, read the whole body; return (seconds, response) or raise."""
        started = time.perf_counter()
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BenchError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        elapsed = time.perf_counter() - started
        if response.status_code == 404:
            raise Unavailable(f"{path} answered 404 (no such endpoint)")
        if response.status_code != 200:
            body = response.text.strip().replace("\n", " ")[:100]
            raise BenchError(f"{method} {path} answered {response.status_code}: {body!r}")
        return elapsed, response

    def get(self, path: str, **params: Any) -> tuple[float, httpx.Response]:
        return self.call("GET", path, params=params)

    def post(self, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
        return self.call("POST", path, **kwargs)

    def login(self, password: str) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            response = self.client.post(
                "auth/login", data={"username": USERNAME, "password": password}
            )
            return response.status_code in (200, 204) and response.text.strip() != "Fails."
        return False

    def close(self) -> None:
        self.client.close()


def last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else "no output"


def wait_ready(name: str, proc: subprocess.Popen[bytes], api: Api, password: str, log: Path) -> str:
    """Log in as soon as the WebUI answers; return `app/version`."""
    deadline = time.monotonic() + READY_TIMEOUT[name]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"{PROGRAM[name]} exited with status {proc.returncode}: {last_line(log)}"
            )
        if api.login(password):
            return api.get("app/version")[1].text.strip()
        time.sleep(0.1)
    raise BenchError(
        f"{PROGRAM[name]} did not accept a login within {READY_TIMEOUT[name]:.0f} s"
        f" (last output: {last_line(log)})"
    )


@contextlib.contextmanager
def running(name: str, workdir: Path, opts: Options, settings: set[str]) -> Iterator[Server]:
    """Start a fresh target, log in, yield it, then stop it (also on errors and Ctrl-C)."""
    port, password = free_port(), secrets.token_urlsafe(12)
    if name == "qbittorrent-nox":
        command, env = qbittorrent_command(workdir, port, password)
    else:
        command, env = ours_command(workdir, port, password, settings)
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            pinned(opts.server_cpu, command),
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so helpers die with it
        )
    api = Api(port)
    try:
        version = wait_ready(name, proc, api, password, log)
        progress(f"{name}: {version} ready on 127.0.0.1:{port} (pid {proc.pid})")
        yield Server(name, proc, api, log)
    finally:
        api.close()
        stop(name, proc)


def stop(name: str, proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the target's process group, then SIGKILL it if it lingers."""
    started = time.monotonic()
    for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace)
            break
        except subprocess.TimeoutExpired:
            progress(f"{name}: still running {grace:.0f} s after {sig.name}")
    progress(f"{name}: stopped in {time.monotonic() - started:.1f} s")


# --- measuring -----------------------------------------------------------------------------


def load(server: Server, corpus: list[tuple[str, bytes]], savepath: Path, opts: Options) -> float:
    """Post the corpus paused in batches; seconds until all are listed and none is checking."""
    started = time.perf_counter()
    for batch, first in enumerate(range(0, len(corpus), opts.batch)):
        files = [
            ("torrents", (name, body, "application/x-bittorrent"))
            for name, body in corpus[first : first + opts.batch]
        ]
        form = {
            "paused": "true",
            "stopped": "true",
            "savepath": str(savepath),
            "category": f"bench-{batch % 4}",
            "tags": f"bench,t{batch % 3}",
        }
        _, response = server.api.post("torrents/add", data=form, files=files)
        if response.text.strip() == "Fails.":
            raise BenchError(f"torrents/add answered Fails. for batch {batch}")
    posted = time.perf_counter() - started
    progress(f"{server.name}: posted {len(corpus)} torrents in {posted:.1f} s")
    deadline, report = time.monotonic() + opts.load_timeout, time.monotonic() + 5
    seen: set[str] = set()
    while True:
        server.alive()
        _, response = server.api.get("torrents/info")
        states: dict[str, int] = {}
        for torrent in response.json():
            states[torrent["state"]] = states.get(torrent["state"], 0) + 1
        seen |= set(states)
        listed, checking = sum(states.values()), sum(states.get(s, 0) for s in CHECKING)
        if listed >= len(corpus) and not checking:
            if errored := sum(states.get(s, 0) for s in ERRORED):
                raise BenchError(f"{errored} torrents in an error state after loading: {states}")
            elapsed = time.perf_counter() - started
            progress(
                f"{server.name}: loaded in {elapsed:.1f} s, states {states}"
                f" (seen while loading: {', '.join(sorted(seen))})"
            )
            return elapsed
        if time.monotonic() > deadline:
            raise BenchError(f"not loaded after {opts.load_timeout:.0f} s: states {states}")
        if time.monotonic() > report:
            progress(f"{server.name}: {listed} listed, states {states}")
            report = time.monotonic() + 5
        time.sleep(0.5)


def maindata_full(api: Api, opts: Options, expected: int) -> dict[str, float]:
    times, sizes = [], []
    for _ in range(opts.samples):
        elapsed, response = api.get("sync/maindata", rid=0)
        times.append(elapsed)
        sizes.append(len(response.content))
    listed = len(response.json().get("torrents", {}))
    if listed != expected:
        raise BenchError(f"full sync/maindata lists {listed} torrents, not {expected}")
    values = {"full_ms": 1000 * statistics.median(times), "full_mb": statistics.median(sizes) / MB}
    _, gzipped = api.call(
        "GET", "sync/maindata", params={"rid": 0}, headers={"Accept-Encoding": "gzip"}
    )
    if gzipped.headers.get("content-encoding") == "gzip":
        values["full_gzip_mb"] = gzipped.num_bytes_downloaded / MB
    return values


def maindata_delta(api: Api, opts: Options) -> dict[str, float]:
    """Poll with the rid of each previous answer, as the WebUI does; nothing changes meanwhile."""
    rid = api.get("sync/maindata", rid=0)[1].json()["rid"]
    times, sizes = [], []
    for _ in range(opts.samples):
        elapsed, response = api.get("sync/maindata", rid=rid)
        data = response.json()
        if data.get("full_update"):
            raise BenchError(f"sync/maindata?rid={rid} answered a full update")
        rid = data["rid"]
        times.append(elapsed)
        sizes.append(len(response.content))
    return {"delta_ms": 1000 * statistics.median(times), "delta_bytes": statistics.median(sizes)}


def info(api: Api, opts: Options, expected: int) -> dict[str, float]:
    values = {}
    for key, params, count in (
        ("info100", {"limit": 100}, min(100, expected)),
        ("info", {}, expected),
    ):
        times, sizes = [], []
        for _ in range(opts.samples):
            elapsed, response = api.get("torrents/info", **params)
            times.append(elapsed)
            sizes.append(len(response.content))
        if (listed := len(response.json())) != count:
            raise BenchError(f"torrents/info {params} lists {listed} torrents, not {count}")
        values[f"{key}_ms"] = 1000 * statistics.median(times)
        if key == "info":
            values["info_mb"] = statistics.median(sizes) / MB
    return values


def transfer(server: Server, seeder: Seeder, savepath: Path, opts: Options) -> dict[str, float]:
    """Add the payload unpaused, hand over the seeder, time it until progress is 1, delete it."""
    api, payload = server.api, seeder.payload
    savepath.mkdir(parents=True, exist_ok=True)
    clock = UploadClock(seeder)
    clock.start()
    started = time.perf_counter()
    files = [("torrents", ("transfer.torrent", payload.torrent, "application/x-bittorrent"))]
    form = {"savepath": str(savepath), "paused": "false", "stopped": "false"}
    try:
        api.post("torrents/add", data=form, files=files)
        while not api.get("torrents/info", hashes=payload.info_hash)[1].json():
            if time.perf_counter() - started > 30:
                raise BenchError("the transfer torrent was not listed 30 s after adding it")
            time.sleep(0.05)
        peer = {"hashes": payload.info_hash, "peers": f"127.0.0.1:{seeder.port}"}
        try:
            api.post("torrents/addPeers", data=peer)
        except Unavailable as exc:
            raise Unavailable("addPeers unsupported") from exc
        elapsed = wait_complete(server, payload, started, opts)
        values = {"transfer_mbs": payload.size / elapsed / MB}
        clock.join(5.0)
        if clock.first is not None and clock.last is not None and clock.last > clock.first:
            values["transfer_start_s"] = clock.first - started
            values["transfer_wire_mbs"] = payload.size / (clock.last - clock.first) / MB
        return values
    finally:
        clock.done.set()
        with contextlib.suppress(BenchError):
            api.post("torrents/delete", data={"hashes": payload.info_hash, "deleteFiles": "true"})
        shutil.rmtree(savepath, ignore_errors=True)


def wait_complete(server: Server, payload: Payload, started: float, opts: Options) -> float:
    """Poll `torrents/info` every 0.2 s; seconds from `started` until progress is 1."""
    reported = 0.0
    while True:
        server.alive()
        torrent = server.api.get("torrents/info", hashes=payload.info_hash)[1].json()[0]
        elapsed = time.perf_counter() - started
        if torrent["progress"] >= 1:
            return elapsed
        if torrent["state"] in ERRORED:
            raise BenchError(f"the transfer torrent went to state {torrent['state']}")
        if elapsed > opts.transfer_timeout:
            raise BenchError(
                f"transfer at {torrent['progress']:.1%} after {opts.transfer_timeout:.0f} s"
            )
        if elapsed - reported >= 10:
            progress(f"{server.name}: transfer at {torrent['progress']:.1%}")
            reported = elapsed
        time.sleep(0.2)


def step(result: Result, what: str, run: Callable[[], dict[str, float]]) -> bool:
    """Run one measurement into `result`; a failure becomes a note, and the next step runs."""
    try:
        result.values |= run()
        return True
    except BenchError as exc:
        note = f"{what}: {exc}"
        result.notes.append(note)
        kind = "unavailable" if isinstance(exc, Unavailable) else "failed"
        progress(f"round {result.round} {result.target}: {kind}: {note}")
        return False


def measure(
    name: str,
    rnd: int,
    base: Path,
    opts: Options,
    corpus: list[tuple[str, bytes]],
    seeder: Seeder | None,
    settings: set[str],
) -> Result:
    result = Result(name, rnd)
    # The same length of path for every target: save paths are in every torrent's JSON.
    workdir = Path(tempfile.mkdtemp(prefix=f"r{rnd}-", dir=base))
    try:
        with running(name, workdir, opts, settings) as server:
            api, count = server.api, len(corpus)
            server.settle()
            idle = rss_kb(server.proc.pid)
            result.values["rss_idle_mb"] = idle * 1024 / MB

            def loaded() -> dict[str, float]:
                seconds = load(server, corpus, workdir / "tiny", opts)
                busy = server.settle()
                grown = (rss_kb(server.proc.pid) - idle) * 1024 / 1000 / count
                return {"load_s": seconds, "settle_s": busy, "kb_per_torrent": grown}

            if step(result, "load", loaded):
                step(result, "sync/maindata full", lambda: maindata_full(api, opts, count))
                step(result, "sync/maindata incremental", lambda: maindata_delta(api, opts))
                step(result, "torrents/info", lambda: info(api, opts, count))
            if seeder:
                big = workdir / "big"
                step(result, "transfer", lambda: transfer(server, seeder, big, opts))
            server.alive()
    except BenchError as exc:
        result.notes.append(str(exc))
        progress(f"round {rnd} {name}: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    shown = ", ".join(
        f"{m.key}={m.fmt.format(result.values[m.key])}" for m in METRICS if m.key in result.values
    )
    progress(f"round {rnd} {name}: {shown or 'nothing measured'}")
    return result


# --- reporting -----------------------------------------------------------------------------


def value(results: list[Result], target: str, rnd: int, key: str) -> float | None:
    for r in results:
        if (r.target, r.round) == (target, rnd) and key in r.values:
            return r.values[key]
    return None


def cell(number: float | None, fmt: str) -> str:
    return "-" if number is None else fmt.format(number)


def ratios(results: list[Result], key: str, rounds: list[int]) -> list[float]:
    found = []
    for rnd in rounds:
        ours, theirs = value(results, "ours", rnd, key), value(results, "qbittorrent-nox", rnd, key)
        if ours is not None and theirs:
            found.append(ours / theirs)
    return found


def summary(results: list[Result], opts: Options) -> str:
    rounds = sorted({r.round for r in results})
    lines = [
        f"{opts.torrents:,} paused torrents, {opts.samples} samples per latency, "
        f"transfer {opts.transfer_size / MIB:,.0f} MiB, {len(rounds)} round(s); medians, and the "
        "median of the per-round ratios ours/qbittorrent-nox.",
        "",
        "| metric | unit | better | ours | qbittorrent-nox | ours/qbittorrent-nox | per round |",
        "|---|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        medians = []
        for target in TARGETS:
            found = [
                v for rnd in rounds if (v := value(results, target, rnd, metric.key)) is not None
            ]
            medians.append(statistics.median(found) if found else None)
        per_round = ratios(results, metric.key, rounds)
        ratio = statistics.median(per_round) if per_round else None
        label = metric.label.replace(" N ", f" {opts.torrents:,} ")
        lines.append(
            f"| {label} | {metric.unit} | {'lower' if metric.lower_is_better else 'higher'} "
            f"| {cell(medians[0], metric.fmt)} | {cell(medians[1], metric.fmt)} "
            f"| {cell(ratio, '{:.3f}')} | {' '.join(f'{r:.3f}' for r in per_round) or '-'} |"
        )
    lines += ["", "| round | target | " + " | ".join(m.key for m in METRICS) + " |"]
    lines.append("|---|---|" + "---|" * len(METRICS))
    for rnd in rounds:
        for target in TARGETS:
            if not any((r.target, r.round) == (target, rnd) for r in results):
                continue
            cells = [cell(value(results, target, rnd, m.key), m.fmt) for m in METRICS]
            lines.append(f"| {rnd} | {target} | " + " | ".join(cells) + " |")
    notes = sorted({f"{r.target}: {note}" for r in results for note in r.notes})
    if notes:
        lines += ["", "Unavailable or failed:", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


def parse_args() -> tuple[argparse.Namespace, Options]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    p.add_argument("--only", choices=TARGETS, help="measure one target")
    p.add_argument("--torrents", type=int, default=10_000, help="paused torrents to load")
    p.add_argument("--batch", type=int, default=200, help="torrent files per torrents/add")
    p.add_argument("--samples", type=int, default=5, help="requests per latency median")
    p.add_argument(
        "--transfer-size", type=parse_size, default=2 * 1024**3, help="e.g. 2GiB, 256MiB; 0: skip"
    )
    p.add_argument("--load-timeout", type=float, default=900.0, help="seconds")
    p.add_argument("--transfer-timeout", type=float, default=600.0, help="seconds")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--bench-cpu", type=int, default=1, help="this process and its seeder")
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--markdown-out", type=Path, help="also write the tables to this file")
    args = p.parse_args()
    if args.torrents < 1 or args.batch < 1 or args.samples < 1 or args.rounds < 1:
        p.error("--torrents, --batch, --samples and --rounds must be positive")
    pin = not args.no_pin and shutil.which("taskset") is not None
    if pin and len(os.sched_getaffinity(0)) < 2:
        progress("fewer than 2 CPUs: not pinning")
        pin = False
    opts = Options(
        torrents=args.torrents,
        batch=args.batch,
        samples=args.samples,
        transfer_size=args.transfer_size,
        load_timeout=args.load_timeout,
        transfer_timeout=args.transfer_timeout,
        server_cpu=args.server_cpu if pin else None,
        bench_cpu=args.bench_cpu if pin else None,
    )
    return args, opts


def main() -> int:
    args, opts = parse_args()
    targets = [args.only] if args.only else list(TARGETS)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up as on Ctrl-C
    if opts.bench_cpu is not None:
        os.sched_setaffinity(0, {opts.bench_cpu})  # before the seeder starts its threads
    results: list[Result] = []
    status = 0
    try:
        if "qbittorrent-nox" in targets:
            ensure_qbittorrent()
        settings = our_settings() if "ours" in targets else set()
        if "ours" in targets and (missing := [s for s in OUR_SETTINGS if s not in settings]):
            progress(f"ours: no setting {', '.join(missing)} yet; left at the defaults")
            if "client.preferences" in missing:  # its DHT would reach out to the internet
                progress("ours: skipped: no client.preferences setting to turn DHT off")
                targets.remove("ours")
        BUILD.mkdir(exist_ok=True)
        (BUILD / ".gitignore").write_text("*\n")
        progress(f"preparing {opts.torrents:,} tiny torrents in {BUILD / 'tiny-v1'}")
        corpus = tiny_torrents(opts.torrents)
        payload = transfer_payload(opts.transfer_size) if opts.transfer_size else None
        with contextlib.ExitStack() as stack:
            seeder = stack.enter_context(seeding(payload)) if payload else None
            if seeder:
                progress(f"seeding {seeder.payload.data.name} on 127.0.0.1:{seeder.port}")
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="client-bench-")))
            for rnd in range(1, args.rounds + 1):
                for name in targets:
                    results.append(measure(name, rnd, base, opts, corpus, seeder, settings))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted; the rounds done so far:" if results else "interrupted", file=sys.stderr)
        status = 130
    if results:
        markdown = summary(results, opts)
        print(markdown)
        if args.markdown_out:
            args.markdown_out.write_text(markdown + "\n")
    return status or (1 if any(r.notes for r in results) else 0)


if __name__ == "__main__":
    sys.exit(main())
