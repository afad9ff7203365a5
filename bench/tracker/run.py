"""Tracker throughput, side by side: our tracker against Debian's opentracker, UDP and HTTP.

    .venv/bin/python bench/tracker/run.py [--duration S] [--rounds N]
        [--only ours|opentracker] [--proto udp|http|both] [--markdown-out FILE]

Installs `opentracker` with apt-get if it is missing and builds the C load generators
(udpload.c, httpload.c; Python clients top out near 36k requests/s) into bench/tracker/build/.
Each measurement starts a fresh tracker pinned to one core (`taskset -c 0`) and a load
generator on the other (`taskset -c 1`), all on loopback. CPU speed on a shared VM swings ~2x
for tens of seconds, so the trackers take turns within each round, and the summary reports
medians and the per-round ratio ours/opentracker.

Both load generators share one swarm model (model.h: 10k whitelisted torrents, 100k peers,
numwant 30). Over HTTP each client connection keeps one request in flight and is kept alive;
Debian's opentracker closes the connection after every reply, so its HTTP figure includes a
TCP handshake per announce (the load generator reports `keep_alive` and `connects_per_s`).
Progress lines on stderr flag errors, invalid replies, timeouts and short peer lists.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
OPENTRACKER = Path("/usr/bin/opentracker")
TRACKERS = ("ours", "opentracker")
READY_TIMEOUT = {"ours": 60.0, "opentracker": 15.0}
PROGRAM = {"ours": "`torrentstack serve tracker`", "opentracker": "opentracker"}


class BenchError(Exception):
    """A step of the benchmark failed; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Options:
    duration: float
    warmup: float
    torrents: int
    peers: int
    udp_window: int
    http_connections: int
    tracker_cpu: int | None
    load_cpu: int | None


@dataclass(frozen=True, slots=True)
class Result:
    proto: str
    tracker: str
    round: int
    report: dict[str, float]

    @property
    def rate(self) -> float:
        return self.report["responses_per_s"]


# --- tools ---------------------------------------------------------------------------------


def ensure_opentracker() -> None:
    """Install Debian's opentracker unless it is there (sudo only when not root)."""
    if OPENTRACKER.exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "--no-install-recommends", "opentracker"]
    print("installing opentracker:", " ".join(install), file=sys.stderr)
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], env=env, check=False)
        subprocess.run(install, env=env, check=True)
    if not OPENTRACKER.exists():
        raise BenchError(f"apt-get did not install {OPENTRACKER}")


def build_loaders() -> None:
    """Compile udpload and httpload with gcc -O2 when their sources are newer."""
    BUILD.mkdir(exist_ok=True)
    for name in ("udpload", "httpload"):
        source, binary = HERE / f"{name}.c", BUILD / name
        newest = max(source.stat().st_mtime, (HERE / "model.h").stat().st_mtime)
        if binary.exists() and binary.stat().st_mtime >= newest:
            continue
        command = ["gcc", "-O2", "-Wall", "-o", str(binary), str(source), "-lm"]
        if subprocess.run(command, check=False).returncode != 0:
            raise BenchError(f"gcc failed to build {source.name}")


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def free_port() -> int:
    """Return a loopback port free for both TCP and UDP (the trackers serve both on it)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise BenchError("no free loopback port for both TCP and UDP")


# --- trackers ------------------------------------------------------------------------------


def udp_answers(port: int) -> bool:
    """Send a BEP 15 connect and wait briefly for the matching reply."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        sock.sendto(struct.pack(">QII", 0x41727101980, 0, 7), ("127.0.0.1", port))
        try:
            reply = sock.recv(64)
        except OSError:  # timeout, or ICMP port unreachable while it starts
            return False
    return len(reply) >= 16 and struct.unpack(">II", reply[:8]) == (0, 7)


def http_answers(port: int, info_hash_hex: str) -> bool:
    """Send an HTTP announce (event=stopped, so no peer is added) and expect 200 OK."""
    escaped = "".join(f"%{info_hash_hex[i : i + 2]}" for i in range(0, 40, 2))
    url = (
        f"http://127.0.0.1:{port}/announce?info_hash={escaped}&peer_id=-TB0001-readinessprb"
        "&port=1024&uploaded=0&downloaded=0&left=0&compact=1&event=stopped"
    )
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            body: bytes = response.read()
            return response.status == 200 and b"failure reason" not in body
    except (urllib.error.URLError, OSError):
        return False


def last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def wait_ready(name: str, proc: subprocess.Popen[bytes], port: int, proto: str, log: Path) -> None:
    info_hash = (log.parent / "whitelist.txt").read_text().split()[0]
    deadline = time.monotonic() + READY_TIMEOUT[name]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            status = proc.returncode
            raise BenchError(f"{PROGRAM[name]} exited with status {status}: {last_line(log)}")
        if proto == "udp" and udp_answers(port):
            return
        if proto == "http" and http_answers(port, info_hash):
            return
        time.sleep(0.1)
    what = "a BEP 15 connect" if proto == "udp" else "an HTTP announce with 200 OK"
    raise BenchError(
        f"{PROGRAM[name]} did not answer {what} on 127.0.0.1:{port} within {READY_TIMEOUT[name]:.0f} s"
        f" (last output: {last_line(log)})"
    )


def tracker_command(name: str, workdir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORRENTSTACK_")}
    if name == "opentracker":
        # Chroots to rootdir (as root) or chdirs there, so the whitelist path is relative.
        # The Debian build is whitelist-only (-DWANT_ACCESSLIST_WHITE).
        conf = workdir / "opentracker.conf"
        conf.write_text(
            f"listen.udp 127.0.0.1:{port}\nlisten.tcp 127.0.0.1:{port}\n"
            f"access.whitelist whitelist.txt\ntracker.rootdir {workdir}\n"
        )
        return [str(OPENTRACKER), "-f", str(conf)], env
    torrentstack = Path(sys.executable).with_name("torrentstack")
    command = (
        [str(torrentstack)] if torrentstack.exists() else [sys.executable, "-m", "torrentstack"]
    )
    env |= {
        "TORRENTSTACK_TRACKER__HOST": "127.0.0.1",
        "TORRENTSTACK_TRACKER__PORT": str(port),
        "TORRENTSTACK_TRACKER__API_PORT": str(free_port()),
        "TORRENTSTACK_TRACKER__MODE": "public",
        "TORRENTSTACK_LOG__ACCESS_LOG": "false",
        "XDG_DATA_HOME": str(workdir / "data"),
        "XDG_CONFIG_HOME": str(workdir / "config"),
    }
    return [*command, "serve", "tracker"], env


@contextlib.contextmanager
def running(name: str, proto: str, workdir: Path, cpu: int | None) -> Iterator[int]:
    """Start a fresh tracker, wait until it answers `proto`, yield its port, then stop it."""
    port = free_port()
    command, env = tracker_command(name, workdir, port)
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            pinned(cpu, command),
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so workers die with it
        )
    try:
        wait_ready(name, proc, port, proto, log)
        yield port
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the tracker's process group, then SIGKILL it if it lingers."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


# --- measuring -----------------------------------------------------------------------------


def load(proto: str, port: int, opts: Options) -> dict[str, float]:
    """Run one load generator against 127.0.0.1:port and return its JSON report."""
    if proto == "udp":
        command = [str(BUILD / "udpload"), "-w", str(opts.udp_window)]
    else:
        command = [str(BUILD / "httpload"), "-c", str(opts.http_connections)]
    command += ["127.0.0.1", str(port), str(opts.duration), str(opts.warmup)]
    command += [str(opts.torrents), str(opts.peers)]
    limit = opts.duration + opts.warmup + 120  # warm-up may run on until every peer announced
    done = subprocess.run(
        pinned(opts.load_cpu, command), capture_output=True, text=True, timeout=limit, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"{proto} load generator failed: {done.stderr.strip() or done.returncode}")
    report: dict[str, float] = json.loads(done.stdout)
    return report


def measure(name: str, proto: str, rnd: int, base: Path, opts: Options) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-{proto}-", dir=base))
    workdir.chmod(0o755)  # opentracker drops to `nobody` inside it
    shutil.copy(base / "whitelist.txt", workdir / "whitelist.txt")
    (workdir / "whitelist.txt").chmod(0o644)
    with running(name, proto, workdir, opts.tracker_cpu) as port:
        report = load(proto, port, opts)
    result = Result(proto, name, rnd, report)
    notes = [f"{k}={report[k]:g}" for k in ("errors", "invalid", "timeouts") if report.get(k)]
    # A tracker may leave out the announcer, or seeders for a seeder, so only far fewer peers
    # than the model's full replies suggest a broken client or tracker.
    if report["avg_peers_per_announce"] < 0.8 * report["model_peers_excl_self"]:
        notes.append("few peers per reply")
    print(
        f"round {rnd} {proto:4} {name:11} {result.rate:>10,.0f} resp/s "
        f"peers/announce {report['avg_peers_per_announce']:.1f} "
        f"(model {report['model_peers_per_announce']:.1f})"
        + (f"  CHECK: {', '.join(notes)}" if notes else ""),
        file=sys.stderr,
        flush=True,
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def table(results: list[Result], protos: list[str]) -> str:
    def rate(proto: str, tracker: str, rnd: int) -> float | None:
        found = [r.rate for r in results if (r.proto, r.tracker, r.round) == (proto, tracker, rnd)]
        return found[0] if found else None

    def cell(value: float | None, fmt: str = "{:,.0f}") -> str:
        return "-" if value is None else fmt.format(value)

    lines = [
        "| proto | round | ours resp/s | opentracker resp/s | ours/opentracker |",
        "|---|---|---|---|---|",
    ]
    for proto in protos:
        ratios: list[float] = []
        rounds = sorted({r.round for r in results if r.proto == proto})
        for rnd in rounds:
            ours, theirs = rate(proto, "ours", rnd), rate(proto, "opentracker", rnd)
            ratio = ours / theirs if ours is not None and theirs else None
            if ratio is not None:
                ratios.append(ratio)
            lines.append(
                f"| {proto} | {rnd} | {cell(ours)} | {cell(theirs)} | {cell(ratio, '{:.3f}')} |"
            )
        medians = [
            [r.rate for r in results if (r.proto, r.tracker) == (proto, t)] for t in TRACKERS
        ]
        ours_m, theirs_m = (statistics.median(m) if m else None for m in medians)
        ratio_m = statistics.median(ratios) if ratios else None
        lines.append(
            f"| {proto} | **median** | **{cell(ours_m)}** | **{cell(theirs_m)}** "
            f"| **{cell(ratio_m, '{:.3f}')}** |"
        )
    return "\n".join(lines)


def parse_args() -> tuple[argparse.Namespace, Options]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=15.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds (at least)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    p.add_argument("--only", choices=TRACKERS, help="measure one tracker")
    p.add_argument("--proto", choices=("udp", "http", "both"), default="both")
    p.add_argument("--torrents", type=int, default=10_000)
    p.add_argument("--peers", type=int, default=100_000)
    # 8 sockets x 16: opentracker's socket keeps the default 208 KiB receive buffer, which
    # holds ~200 queued requests; deeper windows overflow it and measure the drops.
    p.add_argument("--udp-window", type=int, default=16, help="requests in flight per socket")
    p.add_argument("--http-connections", type=int, default=64)
    p.add_argument("--tracker-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--markdown-out", type=Path, help="also write the table to this file")
    args = p.parse_args()
    pin = not args.no_pin and shutil.which("taskset") is not None
    if pin and len(os.sched_getaffinity(0)) < 2:
        print("fewer than 2 CPUs: not pinning", file=sys.stderr)
        pin = False
    opts = Options(
        duration=args.duration,
        warmup=args.warmup,
        torrents=args.torrents,
        peers=args.peers,
        udp_window=args.udp_window,
        http_connections=args.http_connections,
        tracker_cpu=args.tracker_cpu if pin else None,
        load_cpu=args.load_cpu if pin else None,
    )
    return args, opts


def main() -> int:
    args, opts = parse_args()
    trackers = [args.only] if args.only else list(TRACKERS)
    protos = ["udp", "http"] if args.proto == "both" else [args.proto]
    failed: dict[str, str] = {}
    results: list[Result] = []
    try:
        if "opentracker" in trackers:
            ensure_opentracker()
        build_loaders()
        with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
            base = Path(tmp)
            base.chmod(0o755)
            whitelist = [str(BUILD / "udpload"), "-W", str(base / "whitelist.txt")]
            subprocess.run([*whitelist, str(opts.torrents)], check=True)
            for rnd in range(1, args.rounds + 1):
                for proto in protos:
                    for name in trackers:
                        if name in failed:
                            continue
                        try:
                            results.append(measure(name, proto, rnd, base, opts))
                        except BenchError as exc:
                            failed[name] = str(exc)
                            print(f"{name}: {exc}", file=sys.stderr, flush=True)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if results:
        markdown = table(results, protos)
        print(markdown)
        if args.markdown_out:
            args.markdown_out.write_text(markdown + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
