"""A Redis outage under announce load: `serve tracker` stays up, fails cleanly, then recovers.

The tracker runs as a real process on a throwaway redis-server of its own (never the shared one
on 6379, which other tests use); the test stops that server and starts it again on the same
port, or freezes and thaws it, announcing over HTTP and UDP all along.
"""

from __future__ import annotations

import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.serve_process import start, stop
from tests.support.wire import announce_query, decoded, peer_id
from torrentstack.tracker.service import REASON_UNAVAILABLE

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.database]

OUTAGE_SECONDS = 10.0
DEADLINE = 60.0  # no phase waits longer than this
UDP_MAGIC = 0x41727101980


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayRedis:
    """A redis-server on a port of its own, without persistence; stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.proc: subprocess.Popen[str] | None = None
        self.reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        lines: list[str] = []

        def read(out) -> None:
            for line in out:
                lines.append(line)
                if "Ready to accept connections" in line:
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=read, args=(self.proc.stdout,), daemon=True)
        self.reader.start()
        if not ready.wait(DEADLINE) or self.proc.poll() is not None:
            self.stop()
            raise AssertionError("redis-server did not start:\n" + "".join(lines))

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.proc.terminate()
            self.proc.wait(timeout=30)
        if self.reader is not None:
            self.reader.join(timeout=30)  # it reads to the end of the output
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.proc = None

    def interrupt(self, outage: str) -> None:
        """Start an outage: stop the server, or freeze it (its port still accepts connections)."""
        if outage == "frozen":
            assert self.proc is not None
            self.proc.send_signal(signal.SIGSTOP)
        else:
            self.stop()

    def resume(self, outage: str) -> None:
        """End the outage: thaw the server, or start a new one on the same port."""
        if outage == "frozen":
            assert self.proc is not None
            self.proc.send_signal(signal.SIGCONT)
        else:
            self.start()


class Load:
    """Announces over HTTP (and UDP) in a thread, tallying what comes back per phase."""

    def __init__(self, port: int, tracker: subprocess.Popen[str], log: list[str]) -> None:
        self.port = port
        self.tracker = tracker
        self.log = log
        self.phase = "before"
        self.http: Counter[tuple[str, str]] = Counter()
        self.udp: Counter[tuple[str, str]] = Counter()
        self.problems: list[str] = []
        self.slowest: Counter[str] = Counter()  # the longest HTTP announce per phase, seconds
        self.done = threading.Event()
        self.progress = threading.Condition()

    def run(self) -> None:
        n = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            while not self.done.is_set():
                n += 1
                began, started = self.phase, time.monotonic()
                result = self._http_announce(client, n)
                phase = self._phase_since(began)
                self.http[phase, result] += 1
                self.slowest[phase] = max(self.slowest[phase], time.monotonic() - started)
                began = self.phase
                result = self._udp_announce(n)
                self.udp[self._phase_since(began), result] += 1
                with self.progress:
                    self.progress.notify_all()

    def _phase_since(self, began: str) -> str:
        """The phase an announce belongs to: "before->stopping" when it spanned two."""
        return began if began == self.phase else f"{began}->{self.phase}"

    def _http_announce(self, client: httpx.Client, n: int) -> str:
        phase = self.phase
        try:
            response = client.get(f"/announce?{announce_query(n=n % 50, left=n % 2)}")
        except httpx.HTTPError as exc:
            self.problems.append(f"{phase}: HTTP {type(exc).__name__}")
            return "dropped"
        if response.status_code != 200:
            self.problems.append(f"{phase}: HTTP status {response.status_code}")
            return "bad status"
        reply = decoded(response.content)
        if reply.get(b"failure reason") == REASON_UNAVAILABLE.encode():
            return "unavailable"
        if b"interval" in reply and b"peers" in reply:
            return "ok"
        self.problems.append(f"{phase}: HTTP reply {reply!r}")
        return "unexpected"

    def _udp_announce(self, n: int) -> str:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.connect(("127.0.0.1", self.port))
            try:
                sock.send(struct.pack(">QII", UDP_MAGIC, 0, 1))
                action, _, cid = struct.unpack(">IIQ", sock.recv(100))
                fields = (cid, 1, 2, bytes(20), peer_id(n % 50), 0, 1, 0, 0, 0, b"\0\0\0\7", -1)
                sock.send(struct.pack(">QII20s20sqqqII4siH", *fields, 6881))
                reply = sock.recv(2048)
            except TimeoutError:
                return "no answer"  # allowed while Redis is down, never a crash
            except OSError as exc:  # the port is closed: the tracker is gone
                self.problems.append(f"{self.phase}: UDP {type(exc).__name__}")
                return "refused"
        action, txid = struct.unpack(">II", reply[:8])
        if action == 1 and txid == 2:
            return "ok"
        if action == 3 and reply[8:] == REASON_UNAVAILABLE.encode():
            return "unavailable"
        self.problems.append(f"udp reply {reply!r}")
        return "unexpected"

    def wait_for(self, condition, what: str) -> None:
        """Wait until `condition()` holds after some announce (at most DEADLINE seconds)."""
        deadline = time.monotonic() + DEADLINE
        with self.progress:
            while not condition():
                if self.tracker.poll() is not None:
                    raise AssertionError(
                        f"the tracker exited waiting for {what}: {self.http} {self.udp}\n"
                        + "".join(self.log)
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}: {self.http} {self.udp}")
                self.progress.wait(min(left, 1.0))


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/services installs it)")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("outage", ["terminated", "frozen"])
def test_tracker_outlives_a_redis_outage_under_load(
    tmp_path, monkeypatch, redis_server, database_settings, outage
):
    """Redis stopped (connections refused) or frozen (SIGSTOP: commands hang) for ~10 s."""
    monkeypatch.setenv("TORRENTSTACK_REDIS__URL", redis_server.url)
    monkeypatch.setenv("TORRENTSTACK_DATABASE__URL", database_settings.url)
    monkeypatch.setenv("TORRENTSTACK_TRACKER__CLEANUP_INTERVAL", "1")  # expiry runs in the outage
    proc, ports, lines = start(tmp_path, "tracker")
    load = Load(ports["tracker"], proc, lines)
    worker = threading.Thread(target=load.run, daemon=True)
    worker.start()
    try:
        load.wait_for(lambda: load.http["before", "ok"] >= 20, "announces before the outage")
        assert load.udp["before", "ok"] >= 1

        load.phase = "stopping"  # announces in flight now may go either way
        redis_server.interrupt(outage)
        load.phase = "outage"
        began = time.monotonic()
        load.wait_for(
            lambda: (
                time.monotonic() - began >= OUTAGE_SECONDS
                and load.http["outage", "unavailable"] >= 1
                and any("tracker-expire failed" in line for line in lines)
            ),
            "failing announces and a failed expiry during the outage",
        )
        assert proc.poll() is None, "the tracker process died with Redis:\n" + "".join(lines)

        load.phase = "restarting"
        redis_server.resume(outage)
        load.phase = "after"
        load.wait_for(lambda: load.http["after", "ok"] >= 20, "announces after the outage")
        load.wait_for(lambda: load.udp["after", "ok"] >= 1, "UDP announces after the outage")
        load.done.set()
        worker.join(timeout=DEADLINE)
        assert proc.poll() is None, "".join(lines)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, "".join(lines)
    finally:
        load.done.set()
        stop(proc)
    log = "".join(lines)
    assert load.problems == [], log
    # a frozen server costs an announce the 3 s command timeout, not redis-py's default (5 s,
    # or none at all in older releases): the tracker answers before the client gives up
    assert max(load.slowest.values()) < 4.5, load.slowest
    assert {result for phase, result in load.http if phase == "outage"} == {"unavailable"}
    assert {result for phase, result in load.udp if phase == "outage"} <= {
        "unavailable",
        "no answer",
    }
    assert {result for phase, result in load.http if phase == "after"} == {"ok"}
    assert "Traceback" not in log
    # one line when the store goes away, one when it is back: not one per announce
    assert log.count("swarm store unavailable") == 1, log
    assert "swarm store available again" in log
