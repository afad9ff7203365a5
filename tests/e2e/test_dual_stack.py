"""The default host 0.0.0.0 serves IPv4 and IPv6 on every listener, as the tracker's UDP does.

Binding every address is only done inside a network namespace of its own (loopback only), made
with `unshare --net` (root, as in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torrentstack.config import SERVICES

pytestmark = pytest.mark.slow

PROBE = Path(__file__).with_name("dual_stack_probe.py")


def test_every_listener_on_0000_answers_over_ipv4_and_ipv6(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        if os.environ.get("CI"):
            raise AssertionError("CI runs as root with unshare and ip: this test must run")
        pytest.skip("needs root, unshare and ip for a network namespace of its own")
    run = subprocess.run(
        ["unshare", "--net", sys.executable, str(PROBE), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    expected = {name: {"ipv4": "ok", "ipv6": "ok"} for name in [*SERVICES, "tracker-api"]}
    assert result["answers"] == expected, result["log"]
