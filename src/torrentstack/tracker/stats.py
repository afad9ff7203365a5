"""Request counters for the stats endpoint, split as Torrust splits them (tcp4/tcp6/udp4/udp6)."""

from __future__ import annotations

TRANSPORTS = ("tcp4", "tcp6", "udp4", "udp6")
KINDS = ("connections", "announces", "scrapes")


_NAMES = {(t, k): f"{t}_{k}_handled" for t in TRANSPORTS for k in KINDS}


class RequestCounters:
    """Counters named `<transport>_<kind>_handled`, as in Torrust's stats JSON."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {
            f"{transport}_{kind}_handled": 0 for transport in TRANSPORTS for kind in KINDS
        }

    def count(self, transport: str, kind: str, n: int = 1) -> None:
        self.counts[_NAMES[transport, kind]] += n

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)
