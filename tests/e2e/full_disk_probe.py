"""Run inside a mount namespace of its own (`unshare --mount --propagation private`): the
client's data directory on a 16 MiB tmpfs, filled up while it runs. Prints what the API said.

Run by tests/e2e/test_full_disk.py: `python full_disk_probe.py WORK_DIR TORRENT_A TORRENT_B`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

LISTENING = re.compile(r"client listening on http://127\.0\.0\.1:(\d+)")
PASSWORD = "full-disk-test"


def serve(data: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    env = dict(os.environ)
    env |= {
        "TORRENTSTACK_PATHS__DATA_DIR": str(data),
        "TORRENTSTACK_CLIENT__HOST": "127.0.0.1",
        "TORRENTSTACK_CLIENT__PORT": "0",
        "TORRENTSTACK_CLIENT__LISTEN_PORT": "0",
        "TORRENTSTACK_CLIENT__WEBUI_PASSWORD": PASSWORD,
        "TORRENTSTACK_CLIENT__PREFERENCES": '{"dht": false, "lsd": false, "pex": false, "upnp": false}',
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "torrentstack", "serve", "client"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    port: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = LISTENING.search(line)
            if match:
                port.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or not port:
        proc.kill()
        raise SystemExit("serve did not start:\n" + "".join(lines))
    return proc, f"http://127.0.0.1:{port[0]}", lines


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def client(url: str) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=30)
    assert (
        http.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD}).text
        == "Ok."
    )
    return http


def add(http: httpx.Client, torrent: bytes) -> tuple[int, str]:
    reply = http.post(
        "/api/v2/torrents/add", data={"paused": "true"}, files={"torrents": ("t.torrent", torrent)}
    )
    return reply.status_code, reply.text


def names(http: httpx.Client) -> list[str]:
    return sorted(t["name"] for t in http.get("/api/v2/torrents/info").json())


def fill(path: Path) -> None:
    """Write zeros until the file system has not one byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (256 * 1024, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def main() -> None:
    work = Path(sys.argv[1])
    torrent_a, torrent_b = Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    data = disk / "data"
    out: dict[str, object] = {}
    proc, url, lines = serve(data)
    try:
        with contextlib.closing(client(url)) as http:
            out["add_a"] = add(http, torrent_a)
            out["health_before"] = http.get("/healthz").json()["database"]
            fill(disk / "fill")
            out["add_b"] = add(http, torrent_b)
            out["names_full"] = names(http)
            health = http.get("/healthz")
            out["health_full"] = [health.status_code, health.json()["database"]]
            out["category_full"] = http.post(
                "/api/v2/torrents/createCategory", data={"category": "c"}
            ).status_code
            out["categories_full"] = sorted(http.get("/api/v2/torrents/categories").json())
            time.sleep(0.5)  # let the engine write (or fail to write) resume data meanwhile
    finally:
        (disk / "fill").unlink(missing_ok=True)
        stop(proc)
    resume = data / "client" / "resume"
    (resume / ("ab" * 20 + ".fastresume")).write_bytes(b"d4:spame")  # an orphan
    proc, url, lines2 = serve(data)
    try:
        with contextlib.closing(client(url)) as http:
            out["names_after_restart"] = names(http)
    finally:
        stop(proc)
    out["resume_files"] = sorted(p.name for p in resume.glob("*.fastresume"))
    out["tracebacks"] = "".join(lines + lines2).count("Traceback")
    out["log"] = "".join(lines + lines2)[-3000:]
    print(json.dumps(out))  # noqa: T201


if __name__ == "__main__":
    main()
