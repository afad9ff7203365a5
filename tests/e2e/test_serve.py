"""`torrentstack serve` as a real process: listens, answers /healthz, stops cleanly on signals."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from torrentstack.config import SERVICES

pytestmark = pytest.mark.slow

LISTENING = re.compile(r"([\w-]+) listening on http://127\.0\.0\.1:(\d+)")


def serve_env(data_dir, ports=None) -> dict[str, str]:
    env = dict(os.environ)
    env["TORRENTSTACK_PATHS__DATA_DIR"] = str(data_dir)
    for name in SERVICES:
        env[f"TORRENTSTACK_{name.upper()}__HOST"] = "127.0.0.1"
        env[f"TORRENTSTACK_{name.upper()}__PORT"] = str((ports or {}).get(name, 0))
    env["TORRENTSTACK_TRACKER__API_PORT"] = str((ports or {}).get("tracker-api", 0))
    env["TORRENTSTACK_CLIENT__LISTEN_PORT"] = "0"
    env["TORRENTSTACK_CLIENT__PREFERENCES"] = (
        '{"dht": false, "lsd": false, "pex": false, "upnp": false}'
    )
    return env


def start(tmp_path, *args: str) -> tuple[subprocess.Popen[str], dict[str, int], list[str]]:
    env = serve_env(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "torrentstack", "serve", *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    ports: dict[str, int] = {}
    lines: list[str] = []
    names = list(args) or list(SERVICES)
    expected = len(names) + ("tracker" in names)  # the tracker also serves its admin API
    done = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = LISTENING.search(line)
            if match:
                ports[match.group(1)] = int(match.group(2))
                if len(ports) == expected:
                    done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(60) or len(ports) != expected:
        proc.kill()
        raise AssertionError("serve did not become ready:\n" + "".join(lines))
    return proc, ports, lines


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.stderr is not None
    proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_healthz_and_stops_on_signal(tmp_path, sig):
    proc, ports, lines = start(tmp_path)
    try:
        assert set(ports) == {*SERVICES, "tracker-api"}
        for name, port in ports.items():
            if name == "tracker-api":
                response = httpx.get(f"http://127.0.0.1:{port}/api/health_check", timeout=10)
                assert response.json() == {"status": "Ok"}
                continue
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            assert response.status_code == 200
            assert response.json()["service"] == name
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    finally:
        stop(proc)
    assert (tmp_path / "data" / "torrentstack.db").exists()
    assert "Traceback" not in "".join(lines)


def test_serve_one_service(tmp_path):
    proc, ports, _ = start(tmp_path, "tracker")
    try:
        assert sorted(ports) == ["tracker", "tracker-api"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        stop(proc)


def second_serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torrentstack", "serve", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_second_serve_says_in_one_line_why_it_cannot_start(tmp_path):
    proc, ports, lines = start(tmp_path, "tracker", "client")
    try:
        ready = (
            f"ready: tracker on port {ports['tracker']}, tracker-api on port "
            f"{ports['tracker-api']}, client on port {ports['client']}"
        )
        deadline = time.monotonic() + 30  # the line follows the per-listener ones
        while not any(line.rstrip().endswith(ready) for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        # the same data directory: refused before anything else
        same = second_serve(serve_env(tmp_path / "data"), "tracker")
        assert same.returncode == 1
        assert "Traceback" not in same.stderr
        assert (
            f"data directory {tmp_path / 'data'} is in use by another torrentstack (pid {proc.pid})"
            in same.stderr
        )
        # another data directory, the same ports: each busy listener is a one-line error
        for service in ("tracker", "client"):
            busy = second_serve(serve_env(tmp_path / service, ports), service)
            assert busy.returncode == 1, busy.stderr
            assert "Traceback" not in busy.stderr
            errors = [x for x in busy.stderr.splitlines() if x.startswith("torrentstack: error:")]
            assert len(errors) == 1, busy.stderr
            assert "cannot listen on 127.0.0.1" in errors[0]
            assert "Address already in use" in errors[0]
    finally:
        stop(proc)
