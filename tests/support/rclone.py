"""Running Debian's rclone against a WebDAV URL from a test: no config file, an empty home."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


async def rclone(home: Path, *args: str) -> bytes:
    """Run rclone with no config file and an empty home; its stdout (fails the test on error)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "RCLONE_CONFIG": "/dev/null"}
    process = await asyncio.create_subprocess_exec(
        "rclone",
        "--config",
        "/dev/null",
        "--low-level-retries",
        "1",
        "--retries",
        "1",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode(errors="replace")
    return out


async def webdav_remote(home: Path, url: str, user: str, password: str) -> list[str]:
    """rclone's flags for the `:webdav:` backend at `url` with these credentials."""
    obscured = (await rclone(home, "obscure", password)).decode().strip()
    return ["--webdav-url", url, "--webdav-user", user, "--webdav-pass", obscured]
