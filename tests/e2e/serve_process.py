"""`torrentstack serve` as a real process for the end-to-end tests: its environment, starting it
until every listener has said where it listens, and stopping it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from torrentstack.config import SERVICES

LISTENING = re.compile(r"([\w-]+) listening on http://[\d.]+:(\d+)")  # its first (IPv4) address


def serve_env(data_dir, ports=None, host: str | None = "127.0.0.1") -> dict[str, str]:
    """Every listener on `host` (None: the default, 0.0.0.0) and a port of its own choosing."""
    env = dict(os.environ)
    env["TORRENTSTACK_PATHS__DATA_DIR"] = str(data_dir)
    for name in SERVICES:
        if host is not None:
            env[f"TORRENTSTACK_{name.upper()}__HOST"] = host
        env[f"TORRENTSTACK_{name.upper()}__PORT"] = str((ports or {}).get(name, 0))
    env["TORRENTSTACK_TRACKER__API_PORT"] = str((ports or {}).get("tracker-api", 0))
    env["TORRENTSTACK_CLIENT__LISTEN_PORT"] = "0"
    env["TORRENTSTACK_CLIENT__PREFERENCES"] = (
        '{"dht": false, "lsd": false, "pex": false, "upnp": false}'
    )
    return env


def start(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    data_dir: Path | None = None,
    host: str | None = "127.0.0.1",
) -> tuple[subprocess.Popen[str], dict[str, int], list[str]]:
    """Start `serve ARGS` (data in `data_dir`, default tmp_path/data, `env` on top); return it
    once every listener has said where it listens, with {listener: port} and its log lines."""
    env = serve_env(data_dir or tmp_path / "data", host=host) | (env or {})
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


def stop(proc: subprocess.Popen[str], *, graceful: bool = False) -> None:
    """Kill it (or with `graceful`, SIGTERM it and wait for it to save and stop)."""
    if proc.poll() is None:
        if graceful:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        else:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.stderr is not None
    proc.stderr.close()
