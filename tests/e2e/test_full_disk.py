"""A full disk under the client: an add either completes durably or fails cleanly, the health
check says the database cannot write, and nothing half-done survives a restart.

The data directory is a small tmpfs in a mount namespace of the test's own (root, as in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.payloads import make_torrent

pytestmark = pytest.mark.slow

PROBE = Path(__file__).with_name("full_disk_probe.py")


def test_a_full_disk_fails_adds_cleanly_and_loses_nothing_stored(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        if os.environ.get("CI"):
            raise AssertionError("CI runs as root with unshare: this test must run")
        pytest.skip("needs root and unshare for a mount namespace of its own")
    torrents = []
    for name in ("Alpha", "Bravo"):
        data, _ = make_torrent(tmp_path / "src", name, {name: 40_000})
        path = tmp_path / f"{name}.torrent"
        path.write_bytes(data)
        torrents.append(str(path))
    run = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, str(PROBE),
         str(tmp_path), *torrents],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    log = out["log"]
    assert out["add_a"] == [200, "Ok."], log
    assert out["health_before"] == "ok", log
    assert out["add_b"] == [200, "Fails."], log  # not a 500
    assert out["names_full"] == ["Alpha"], log  # shown only what was stored
    assert out["health_full"] == [503, "read-only"], log
    assert out["category_full"] == 409, log
    assert out["categories_full"] == ["keep"], log  # made before the disk filled
    # an edit the store refuses is 409 and not shown; a delete likewise
    assert out["set_category_full"] == 409, log
    assert out["category_shown_full"] == "", log
    assert out["delete_full"] == 409, log
    assert out["names_after_delete_full"] == ["Alpha"], log
    assert out["category_after_restart"] == "", log
    assert out["names_after_restart"] == ["Alpha"], log
    alpha = [name for name in out["resume_files"]]
    assert len(alpha) <= 1, out["resume_files"]  # Alpha's at most; the orphan is gone
    assert "ab" * 20 + ".fastresume" not in out["resume_files"]
    assert out["tracebacks"] == 0, log
