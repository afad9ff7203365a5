"""The compiled swarm and UDP fast path (`_swarmcore.c`), when the install could build them.

`core` is the extension module or None (no C compiler at install time); everything works
without it, on the pure-Python `swarm.Swarm`, only slower. `make_swarm` is what a memory
store's table builds its swarms with; the `tracker.compiled` setting turns it off.
"""

from __future__ import annotations

import secrets
from types import ModuleType

from torrentstack.bittorrent.announce import PEER_ID_LENGTH, AnnounceEvent
from torrentstack.bittorrent.tracker_udp import ANNOUNCE_SIZE, MAX_SCRAPE_HASHES, Action
from torrentstack.tracker.connection_id import BUCKET_SECONDS, BUCKETS_ACCEPTED
from torrentstack.tracker.swarm import AnnounceOutcome, AnySwarm, Peer, Swarm, SwarmCounts


def _load() -> ModuleType | None:
    try:
        from torrentstack.tracker import _swarmcore
    except ImportError:
        return None
    _swarmcore.seed(secrets.token_bytes(32))
    # The C code keeps no copy of these: Python's definitions are the only ones.
    _swarmcore.configure(
        peer=Peer,
        counts=SwarmCounts,
        outcome=AnnounceOutcome,
        events=tuple(AnnounceEvent),
        event_completed=AnnounceEvent.COMPLETED,
        event_stopped=AnnounceEvent.STOPPED,
        peer_id_length=PEER_ID_LENGTH,
        announce_size=ANNOUNCE_SIZE,
        action_announce=Action.ANNOUNCE,
        action_scrape=Action.SCRAPE,
        max_scrape_hashes=MAX_SCRAPE_HASHES,
        bucket_seconds=BUCKET_SECONDS,
        buckets_accepted=BUCKETS_ACCEPTED,
    )
    return _swarmcore


core = _load()


def make_swarm(downloaded: int) -> AnySwarm:
    """A new swarm: the compiled one when it is available."""
    if core is not None:
        swarm: AnySwarm = core.Swarm(downloaded)
        return swarm
    return Swarm(downloaded)
