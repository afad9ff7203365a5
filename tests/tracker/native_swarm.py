"""Both swarm implementations for parametrized tests: pure Python and compiled (`_swarmcore`).

The compiled one is skipped where it was not built, unless REQUIRE_COMPILED_SWARM=1 (set by
scripts/test, whose bootstrap installs a compiler): then its absence fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType

import pytest

from torrentstack.tracker import native
from torrentstack.tracker.swarm import AnySwarm, Swarm

MakeSwarm = Callable[..., AnySwarm]
KINDS = ("python", "compiled")


def compiled_core() -> ModuleType:
    """The compiled module, or skip (fail under REQUIRE_COMPILED_SWARM=1) when it is missing."""
    if native.core is None:
        if os.environ.get("REQUIRE_COMPILED_SWARM") == "1":
            pytest.fail("the compiled swarm (_swarmcore) was not built")
        pytest.skip("the compiled swarm (_swarmcore) was not built")
    return native.core


def swarm_class(kind: str) -> MakeSwarm:
    if kind == "python":
        return Swarm
    compiled: MakeSwarm = compiled_core().Swarm
    return compiled
