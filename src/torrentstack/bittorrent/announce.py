"""The announce both tracker wires carry (`Announce`), and packed peer endpoints (BEP 23 / 7).

Parsing the HTTP query and the UDP packet lives in `tracker_http.py` and `tracker_udp.py`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# inet_pton/inet_ntop are pure address conversions (no socket is opened); in C they are 15-30x
# faster than `ipaddress`, and the tracker packs the announcing peer's address on every request.
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton

from torrentstack.errors import FormatError

__all__ = [
    "PEER_ID_LENGTH",
    "Announce",
    "AnnounceEvent",
    "EndpointError",
    "pack_endpoint",
    "unpack_endpoint",
]

PEER_ID_LENGTH = 20  # BEP 3: a peer id is exactly 20 bytes

# ::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer.
_V4_MAPPED = bytes(10) + b"\xff\xff"


class AnnounceEvent(enum.IntEnum):
    """The announce event, numbered as BEP 15 numbers it on the wire."""

    NONE = 0
    COMPLETED = 1
    STARTED = 2
    STOPPED = 3


@dataclass(frozen=True, slots=True)
class Announce:
    """One announce as both wires carry it, already validated by the parser that built it."""

    info_hash: bytes  # exactly 20 bytes: a v1 hash, or a v2 hash truncated to 20 (BEP 52)
    peer_id: bytes  # exactly PEER_ID_LENGTH (20) bytes
    port: int  # 0..65535
    uploaded: int  # >= 0
    downloaded: int  # >= 0
    left: int  # >= 0
    event: AnnounceEvent
    numwant: int | None  # None: the tracker's default; never negative
    key: bytes | None  # HTTP `key` as sent, or UDP's 4 key bytes; None when absent or zero


class EndpointError(FormatError):
    """An address or packed endpoint that is not IPv4/IPv6 plus a port; `value` keeps it."""

    def __init__(self, message: str, value: object) -> None:
        self.value = value
        super().__init__(message)


def pack_endpoint(ip: str | bytes, port: int) -> bytes:
    """Pack an address (text, or 4/16 packed bytes) and port into 6 or 18 bytes (BEP 23 / 7).

    An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) packs as the IPv4 peer it is, so that it
    lands in ``peers`` and not ``peers6``; an IPv6 zone (``%eth0``) is dropped.
    """
    if not 0 <= port <= 0xFFFF:
        raise EndpointError(f"port {port} is out of range", port)
    if isinstance(ip, str):
        try:
            packed = inet_pton(AF_INET6 if ":" in ip else AF_INET, ip.partition("%")[0])
        except (OSError, ValueError):  # OSError: not an address; ValueError: an embedded NUL
            raise EndpointError(f"{ip[:64]!r} is not an IP address", ip) from None
    elif isinstance(ip, bytes) and len(ip) in (4, 16):
        packed = ip
    else:
        raise EndpointError("a packed IP address is 4 or 16 bytes", ip)
    if len(packed) == 16 and packed[:12] == _V4_MAPPED:
        packed = packed[12:]
    return packed + port.to_bytes(2, "big")


def unpack_endpoint(endpoint: bytes) -> tuple[str, int]:
    """Return the text address and port of a 6-byte (IPv4) or 18-byte (IPv6) endpoint."""
    n = len(endpoint)
    if n == 6:
        return inet_ntop(AF_INET, endpoint[:4]), endpoint[4] << 8 | endpoint[5]
    if n == 18:
        return inet_ntop(AF_INET6, endpoint[:16]), endpoint[16] << 8 | endpoint[17]
    raise EndpointError(f"a packed endpoint is 6 or 18 bytes, not {n}", endpoint)
