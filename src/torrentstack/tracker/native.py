"""The compiled swarm and UDP fast path (`_swarmcore.c`), when the install could build them.

`core` is the extension module or None (no C compiler at install time); everything works
without it, on the pure-Python `swarm.Swarm`, only slower. `make_swarm` is what a memory
store's table builds its swarms with; the `tracker.compiled` setting turns it off.
"""

from __future__ import annotations

import secrets
from types import ModuleType

from torrentstack.bittorrent.announce import AnnounceEvent
from torrentstack.tracker.swarm import AnnounceOutcome, AnySwarm, Peer, Swarm, SwarmCounts


def _load() -> ModuleType | None:
    try:
        from torrentstack.tracker import _swarmcore
    except ImportError:
        return None
    _swarmcore.seed(secrets.token_bytes(32))
    _swarmcore.configure(Peer, SwarmCounts, AnnounceOutcome, tuple(AnnounceEvent))
    return _swarmcore


core = _load()


def make_swarm(downloaded: int) -> AnySwarm:
    """A new swarm: the compiled one when it is available."""
    if core is not None:
        swarm: AnySwarm = core.Swarm(downloaded)
        return swarm
    return Swarm(downloaded)
