"""`torrentstack serve` as a real process: listens, answers /healthz, stops cleanly on signals."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from tests.e2e.serve_process import serve_env, start, stop
from tests.support.waiting import eventually_sync
from torrentstack.config import SERVICES

pytestmark = pytest.mark.slow


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

        def said_ready() -> None:  # the line follows the per-listener ones
            assert any(line.rstrip().endswith(ready) for line in lines), "".join(lines)

        eventually_sync(said_ready, timeout=30)
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
