"""Under scripts/sanitized-tracker-tests: the compiled swarm in use is the sanitized build.

That script sets REQUIRE_SANITIZED_SWARM to the path of the .so it built with ASan + UBSan;
everywhere else this test is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tracker.native_swarm import compiled_core

SANITIZED = os.environ.get("REQUIRE_SANITIZED_SWARM", "")


@pytest.mark.skipif(not SANITIZED, reason="only under scripts/sanitized-tracker-tests")
def test_the_sanitized_build_is_the_one_imported():
    core = compiled_core()
    assert core.__file__ is not None
    assert Path(core.__file__) == Path(SANITIZED)
    mapped = Path("/proc/self/maps").read_text()
    assert "libasan" in mapped
    assert "libubsan" in mapped
