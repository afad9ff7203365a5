"""The client's log as `log/main` and `log/peers` serve it: numbered entries, newest kept.

qBittorrent keeps the last 20,000 messages in memory; ids count up from 0 for the life of the
process and `last_known_id` asks for the ones after it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from torrentstack.clock import Clock

# qBittorrent's Log::MsgType flags
LEVELS = {"normal": 1, "info": 2, "warning": 4, "critical": 8}


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    timestamp: int  # milliseconds
    type: int
    message: str


class LogBuffer:
    def __init__(self, clock: Clock, size: int = 20_000) -> None:
        self.clock = clock
        self._entries: deque[Entry] = deque(maxlen=size)
        self._next = 0

    def add(self, level: str, message: str) -> None:
        entry = Entry(self._next, int(self.clock() * 1000), LEVELS.get(level, 1), message)
        self._entries.append(entry)
        self._next += 1

    def after(self, last_known_id: int, types: set[int] | None = None) -> list[Entry]:
        return [
            e for e in self._entries if e.id > last_known_id and (types is None or e.type in types)
        ]


@dataclass(frozen=True, slots=True)
class PeerEntry:
    id: int
    ip: str
    timestamp: int  # milliseconds
    blocked: bool
    reason: str


class PeerLog:
    """`log/peers`: peers we banned or blocked."""

    def __init__(self, clock: Clock, size: int = 20_000) -> None:
        self.clock = clock
        self._entries: deque[PeerEntry] = deque(maxlen=size)
        self._next = 0

    def add(self, ip: str, blocked: bool, reason: str) -> None:
        self._entries.append(PeerEntry(self._next, ip, int(self.clock() * 1000), blocked, reason))
        self._next += 1

    def after(self, last_known_id: int) -> list[PeerEntry]:
        return [e for e in self._entries if e.id > last_known_id]
