"""What every HTTP listener enforces: a connection cap from a shared descriptor budget, the
largest request head, and how long a client may take to send a request or read an answer.

Both HTTP servers (uvicorn through `guarded`, and `http1`) use these values; the connection
`Gate` of a listener answers 503 and closes a connection over its cap at once, so a flood of idle
connections to one port can neither exhaust the process's file descriptors nor reach another
listener's share.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

logger = logging.getLogger(__name__)

OVER_CAPACITY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-connection limits; the defaults are those of the `[serving]` settings."""

    max_header_bytes: int = 16384
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive_timeout: float = 15.0


class Gate:
    """Counts a listener's open connections and refuses those over its cap."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.open = 0
        self.refused = 0

    def admit(self) -> bool:
        """Take a place for a new connection; False (and counted) when the listener is full."""
        if self.open >= self.cap:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:
                logger.warning(
                    "%s: %d connections open, the most allowed; refusing new ones (%d so far)",
                    self.name,
                    self.open,
                    self.refused,
                )
            return False
        self.open += 1
        return True

    def release(self) -> None:
        """Give back the place of a connection that `admit` let in."""
        self.open -= 1


def descriptor_limit() -> int:
    """The process's file-descriptor limit, raised first to the hard limit where allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_caps(
    names: list[str], max_connections: int, reserve: int, descriptors: int | None = None
) -> dict[str, int]:
    """Each listener's cap: `max_connections`, at most an even share of the spare descriptors."""
    total = descriptor_limit() if descriptors is None else descriptors
    share = max((total - reserve) // max(len(names), 1), 1)
    if share < max_connections:
        logger.info(
            "file-descriptor limit %d: at most %d connections per listener (of %d)",
            total,
            share,
            len(names),
        )
    return {name: min(max_connections, share) for name in names}
