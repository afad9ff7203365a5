"""The bridge's `log/main` (qBittorrent's message log): what happened to its items, the newest
10,000 lines, each with qBittorrent's id, timestamp and type (1 normal, 2 info, 4 warning)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from torrentstack.clock import Clock

NORMAL, INFO, WARNING = 1, 2, 4
KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    timestamp: int
    type: int
    message: str


@dataclass(frozen=True, slots=True)
class NoPeerEntry:
    id: int
    ip: str
    timestamp: int
    blocked: bool
    reason: str


class Messages:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lines: deque[Message] = deque(maxlen=KEPT)
        self._next = 0

    def add(self, kind: int, message: str) -> None:
        self.lines.append(Message(self._next, int(self.clock() * 1000), kind, message))
        self._next += 1

    def after(self, last_known_id: int, types: set[int] | None = None) -> Sequence[Message]:
        return [
            line
            for line in self.lines
            if line.id > last_known_id and (types is None or line.type in types)
        ]


class NoPeers:
    """`log/peers`: the bridge talks to no peers."""

    def after(self, last_known_id: int) -> Sequence[NoPeerEntry]:
        return []
