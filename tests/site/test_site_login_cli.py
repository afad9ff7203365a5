"""`torrentstack site login`: the protocol's client side from the command line, against a site
listening on loopback; it prints the session cookie, or one line on a refusal."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest

from tests.support.site import PASSWORD, member
from tests.support.stack import stack
from torrentstack.config import SERVICES, Settings

pytestmark = [pytest.mark.database, pytest.mark.slow]


def login(port: int, username: str, password: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "torrentstack", "site", "login", username,
               "--url", f"http://127.0.0.1:{port}", "--password-stdin"]  # fmt: skip
    return subprocess.run(
        command, input=password + "\n", capture_output=True, text=True, timeout=60
    )


async def test_site_login_prints_a_working_session_cookie(database_settings, tmp_path):
    tree = {name: {"host": "127.0.0.1", "port": 0, "enabled": name == "site"} for name in SERVICES}
    tree["site"] |= {"pow_difficulty": 1, "kdf_iterations": 1000, "rate_limits": {"auth": 20}}
    settings = Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "d")},
            "database": database_settings.model_dump(),
            **tree,
        }
    )
    async with stack(settings) as ports:
        port = ports["site"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await member(http, "alice")
        done = await asyncio.to_thread(login, port, "alice", PASSWORD)
        assert done.returncode == 0, done.stderr
        name, _, token = done.stdout.strip().partition("=")
        assert name == "ts_session" and token
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", cookies={name: token}
        ) as http:
            assert (await http.get("/api/me")).json()["username"] == "alice"
        refused = await asyncio.to_thread(login, port, "alice", "wrong")
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            "torrentstack: error: Invalid username or password (HTTP 401)"
        ]
        assert PASSWORD not in refused.stderr + done.stderr
