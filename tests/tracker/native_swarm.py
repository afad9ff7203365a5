"""Both swarm implementations for parametrized tests: pure Python and compiled (`_swarmcore`).

The compiled one is skipped where it was not built, unless REQUIRE_COMPILED_SWARM=1 (set by
scripts/test, whose bootstrap installs a compiler): then its absence fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType

import pytest

from torrentstack.bittorrent.announce import PEER_ID_LENGTH, AnnounceEvent
from torrentstack.bittorrent.tracker_udp import ANNOUNCE_SIZE, MAX_SCRAPE_HASHES, Action
from torrentstack.tracker import native
from torrentstack.tracker.connection_id import BUCKET_SECONDS, BUCKETS_ACCEPTED
from torrentstack.tracker.swarm import AnnounceOutcome, AnySwarm, Peer, Swarm, SwarmCounts

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


def configuration(**changes: object) -> dict[str, object]:
    """What native.py passes to `_swarmcore.configure`, from the same Python definitions."""
    return {
        "peer": Peer,
        "counts": SwarmCounts,
        "outcome": AnnounceOutcome,
        "events": tuple(AnnounceEvent),
        "event_completed": AnnounceEvent.COMPLETED,
        "event_stopped": AnnounceEvent.STOPPED,
        "peer_id_length": PEER_ID_LENGTH,
        "announce_size": ANNOUNCE_SIZE,
        "action_announce": Action.ANNOUNCE,
        "action_scrape": Action.SCRAPE,
        "max_scrape_hashes": MAX_SCRAPE_HASHES,
        "bucket_seconds": BUCKET_SECONDS,
        "buckets_accepted": BUCKETS_ACCEPTED,
        **changes,
    }
