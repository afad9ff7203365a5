"""The swarm of one torrent and the in-memory table of swarms: pure logic, time passed in.

A peer is keyed by its peer_id *and* its IP address, so an announce from another address cannot
overwrite someone else's entry (Torrust keys by peer_id alone). Seeders are peers with `left == 0`.
Nothing here does I/O; stores (memory, Redis) and the service build on it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from torrentstack.bittorrent.announce import AnnounceEvent

_V4_ENDPOINT = 6  # 4-byte address + port
_FAMILIES = 2  # index 0: IPv4, 1: IPv6


@dataclass(slots=True)
class Peer:
    """One peer in a swarm as the last announce left it."""

    peer_id: bytes
    endpoint: bytes  # packed address + big-endian port: 6 bytes (IPv4) or 18 (IPv6)
    uploaded: int
    downloaded: int
    left: int
    event: AnnounceEvent
    updated: float  # epoch seconds of the last announce
    completed_counted: bool = False  # this peer's `completed` event was counted already
    # Identity in the swarm: peer_id + IP address (the port may change). Computed once: the
    # announce path needs it several times.
    key: bytes = field(init=False, compare=False, repr=False)
    family: int = field(init=False, compare=False, repr=False)  # 0 IPv4, 1 IPv6

    def __post_init__(self) -> None:
        self.key = self.peer_id + self.endpoint[:-2]
        self.family = 0 if len(self.endpoint) == _V4_ENDPOINT else 1

    @property
    def is_seeder(self) -> bool:
        return self.left == 0


@dataclass(frozen=True, slots=True)
class SwarmCounts:
    """What scrape and the announce header report for one torrent."""

    complete: int
    incomplete: int
    downloaded: int


@dataclass(frozen=True, slots=True)
class AnnounceOutcome:
    """The result of one announce: counts after it, peers to hand out, transfer since last time."""

    counts: SwarmCounts
    peers: list[Peer]
    uploaded_delta: int  # 0 on a peer's first announce; never negative
    downloaded_delta: int
    known: bool  # the peer was in the swarm before this announce
    completed_now: bool  # this announce counted a completed download


class _PeerSet:
    """Peers in a list (O(k) random sample) with a key -> index map (O(1) swap-remove)."""

    __slots__ = ("index", "items")

    def __init__(self) -> None:
        self.items: list[Peer] = []
        self.index: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: bytes) -> Peer | None:
        at = self.index.get(key)
        return None if at is None else self.items[at]

    def add(self, peer: Peer) -> None:
        self.index[peer.key] = len(self.items)
        self.items.append(peer)

    def remove(self, key: bytes) -> None:
        at = self.index.pop(key)
        last = self.items.pop()
        if at < len(self.items):
            self.items[at] = last
            self.index[last.key] = at

    def sample(self, k: int, exclude: bytes | None) -> list[Peer]:
        """Up to `k` peers, never the one keyed `exclude`: list slices, no per-peer Python."""
        if k <= 0:
            return []
        items = self.items
        n = len(items)
        skip = self.index.get(exclude) if exclude is not None else None
        if n <= k:
            return items[:] if skip is None else items[:skip] + items[skip + 1 :]
        # A contiguous run from a random start, wrapping (as aquatic does): one random number
        # and C-level slices instead of k random picks. Swap-remove keeps the order mixed.
        start = random.randrange(n)  # noqa: S311 - peer shuffling, not crypto
        if skip is not None and (skip - start) % n <= k:
            # the requester falls inside a run of k + 1: take the run and cut it out
            picked = items[start : start + k + 1]
            if len(picked) < k + 1:
                picked += items[: k + 1 - len(picked)]
            del picked[(skip - start) % n]
            return picked
        picked = items[start : start + k]
        if len(picked) < k:
            picked += items[: k - len(picked)]
        return picked


class Swarm:
    """The peers of one torrent, split by seeder/leecher and address family."""

    __slots__ = ("_sets", "downloaded")

    def __init__(self, downloaded: int = 0) -> None:
        # index: seeder * 2 + family
        self._sets = tuple(_PeerSet() for _ in range(2 * _FAMILIES))
        self.downloaded = downloaded

    @property
    def complete(self) -> int:
        return len(self._sets[2]) + len(self._sets[3])

    @property
    def incomplete(self) -> int:
        return len(self._sets[0]) + len(self._sets[1])

    def counts(self) -> SwarmCounts:
        sets = self._sets
        return SwarmCounts(
            len(sets[2].items) + len(sets[3].items),
            len(sets[0].items) + len(sets[1].items),
            self.downloaded,
        )

    def __len__(self) -> int:
        return sum(len(s) for s in self._sets)

    def peers(self) -> Iterator[Peer]:
        for peer_set in self._sets:
            yield from peer_set.items

    def _find(self, key: bytes, family: int) -> tuple[_PeerSet, Peer] | tuple[None, None]:
        for seeder in (0, 1):
            peer_set = self._sets[seeder * 2 + family]
            found = peer_set.get(key)
            if found is not None:
                return peer_set, found
        return None, None

    def announce(self, peer: Peer, numwant: int, *, both_families: bool) -> AnnounceOutcome:
        """Apply one announce and choose up to `numwant` other peers for the reply.

        Leechers get seeders first; seeders get only leechers. `both_families` hands out peers of
        the other address family after the announcer's own (HTTP can carry both; UDP cannot).
        """
        key = peer.key
        family = peer.family
        old_set, old = self._find(key, family)
        up = down = 0
        if old is not None and old_set is not None:
            # A client restart resets its counters: a decrease credits nothing (never negative).
            up = max(peer.uploaded - old.uploaded, 0)
            down = max(peer.downloaded - old.downloaded, 0)
            old_set.remove(key)
        # As Torrust: `completed` counts once, and only from a peer the swarm already knows
        # (a bare `completed` from a stranger is the cheapest way to inflate the count).
        completed_now = (
            peer.event is AnnounceEvent.COMPLETED and old is not None and not old.completed_counted
        )
        if completed_now:
            self.downloaded += 1
        peer.completed_counted = completed_now or (old is not None and old.completed_counted)
        if peer.event is AnnounceEvent.STOPPED:
            return AnnounceOutcome(self.counts(), [], up, down, old is not None, completed_now)
        self._sets[peer.is_seeder * 2 + family].add(peer)
        chosen = self._choose(key, family, peer.is_seeder, numwant, both_families)
        return AnnounceOutcome(self.counts(), chosen, up, down, old is not None, completed_now)

    def _choose(
        self, key: bytes, family: int, seeder: bool, numwant: int, both_families: bool
    ) -> list[Peer]:
        families = (family, 1 - family) if both_families else (family,)
        kinds = (0,) if seeder else (1, 0)  # seeders need leechers only; leechers seeders first
        chosen: list[Peer] = []
        for fam in families:
            for kind in kinds:
                room = numwant - len(chosen)
                if room <= 0:
                    return chosen
                chosen.extend(self._sets[kind * 2 + fam].sample(room, key))
        return chosen

    def merge(self, other: AnySwarm) -> None:
        """Take in another swarm's peers (keeping ours on a clash) and completed count."""
        self.downloaded += other.downloaded
        for peer in other.peers():
            if self._find(peer.key, peer.family)[1] is None:
                self._sets[peer.is_seeder * 2 + peer.family].add(peer)

    def expire(self, cutoff: float) -> int:
        """Drop peers whose last announce is older than `cutoff`; return how many."""
        dropped = 0
        for peer_set in self._sets:
            stale = [p.key for p in peer_set.items if p.updated < cutoff]
            for key in stale:
                peer_set.remove(key)
            dropped += len(stale)
        return dropped


class AnySwarm(Protocol):
    """What a swarm offers the table and stores: `Swarm` here, or the compiled one (native.py)."""

    downloaded: int

    @property
    def complete(self) -> int: ...

    @property
    def incomplete(self) -> int: ...

    def counts(self) -> SwarmCounts: ...

    def __len__(self) -> int: ...

    def peers(self) -> Iterator[Peer]: ...

    def announce(self, peer: Peer, numwant: int, *, both_families: bool) -> AnnounceOutcome: ...

    def merge(self, other: AnySwarm) -> None: ...

    def expire(self, cutoff: float) -> int: ...


class SwarmTable:
    """Every tracked torrent's swarm, keyed by 20-byte info hash (v1 or truncated v2).

    Linked hashes (a hybrid torrent's v1 and truncated v2, BEP 52) share one swarm, so peers of
    either hash meet and counts are not split. `make_swarm(downloaded)` builds each swarm; all
    swarms of one table are of one kind (the compiled UDP fast path reads `swarms` and `aliases`).
    """

    __slots__ = ("aliases", "make_swarm", "swarms")

    def __init__(self, make_swarm: Callable[[int], AnySwarm] | None = None) -> None:
        self.make_swarm: Callable[[int], AnySwarm] = make_swarm or Swarm
        self.swarms: dict[bytes, AnySwarm] = {}
        self.aliases: dict[bytes, bytes] = {}

    def canonical(self, info_hash: bytes) -> bytes:
        return self.aliases.get(info_hash, info_hash)

    def link(self, primary: bytes, alias: bytes) -> None:
        """Make `alias` announce into `primary`'s swarm (merging what the alias had)."""
        primary = self.canonical(primary)
        if alias == primary:
            return
        self.aliases[alias] = primary
        old = self.swarms.pop(alias, None)
        if old is not None:
            target = self.swarms.get(primary)
            if target is None:
                target = self.swarms[primary] = self.make_swarm(0)
            target.merge(old)

    def get(self, info_hash: bytes) -> AnySwarm | None:
        return self.swarms.get(self.canonical(info_hash))

    def get_or_create(self, info_hash: bytes, downloaded: int) -> AnySwarm:
        """Return the swarm, creating it with a persisted `downloaded` count if it is new."""
        key = self.canonical(info_hash)
        swarm = self.swarms.get(key)
        if swarm is None:
            swarm = self.swarms[key] = self.make_swarm(downloaded)
        return swarm

    def expire(self, cutoff: float) -> tuple[int, int]:
        """Drop stale peers, then peerless swarms that have no completed count to keep.

        Returns (peers dropped, swarms dropped).
        """
        peers = swarms = 0
        for info_hash in list(self.swarms):
            swarm = self.swarms[info_hash]
            peers += swarm.expire(cutoff)
            if not len(swarm) and not swarm.downloaded:
                del self.swarms[info_hash]
                swarms += 1
        return peers, swarms
