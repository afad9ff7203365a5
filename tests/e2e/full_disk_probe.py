"""Run inside a mount namespace of its own (`unshare --mount --propagation private`): the
client's data directory on a 16 MiB tmpfs, filled up while it runs. Prints what the API said.

Run by tests/e2e/test_full_disk.py: `python full_disk_probe.py WORK_DIR TORRENT_A TORRENT_B`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[2]))  # run as a script: the tests package

from tests.e2e.serve_process import start, stop

PASSWORD = "full-disk-test"


def serve(data: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    env = {"TORRENTSTACK_CLIENT__WEBUI_PASSWORD": PASSWORD}
    proc, ports, lines = start(data.parent, "client", env=env, data_dir=data)
    return proc, f"http://127.0.0.1:{ports['client']}", lines


def client(url: str) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=30)
    login = {"username": "admin", "password": PASSWORD}
    assert http.post("/api/v2/auth/login", data=login).text == "Ok."
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
            http.post("/api/v2/torrents/createCategory", data={"category": "keep"})
            (alpha,) = http.get("/api/v2/torrents/info").json()
            fill(disk / "fill")
            out["add_b"] = add(http, torrent_b)
            out["names_full"] = names(http)
            health = http.get("/healthz")
            out["health_full"] = [health.status_code, health.json()["database"]]
            out["category_full"] = http.post(
                "/api/v2/torrents/createCategory", data={"category": "c"}
            ).status_code
            out["categories_full"] = sorted(http.get("/api/v2/torrents/categories").json())
            out["set_category_full"] = http.post(
                "/api/v2/torrents/setCategory", data={"hashes": alpha["hash"], "category": "keep"}
            ).status_code
            out["category_shown_full"] = http.get("/api/v2/torrents/info").json()[0]["category"]
            out["delete_full"] = http.post(
                "/api/v2/torrents/delete", data={"hashes": alpha["hash"], "deleteFiles": "false"}
            ).status_code
            out["names_after_delete_full"] = names(http)
    finally:
        (disk / "fill").unlink(missing_ok=True)
        stop(proc, graceful=True)
    resume = data / "client" / "resume"
    (resume / ("ab" * 20 + ".fastresume")).write_bytes(b"d4:spame")  # an orphan
    proc, url, lines2 = serve(data)
    try:
        with contextlib.closing(client(url)) as http:
            out["names_after_restart"] = names(http)
            out["category_after_restart"] = http.get("/api/v2/torrents/info").json()[0]["category"]
    finally:
        stop(proc, graceful=True)
    out["resume_files"] = sorted(p.name for p in resume.glob("*.fastresume"))
    out["tracebacks"] = "".join(lines + lines2).count("Traceback")
    out["log"] = "".join(lines + lines2)[-3000:]
    print(json.dumps(out))  # noqa: T201


if __name__ == "__main__":
    main()
