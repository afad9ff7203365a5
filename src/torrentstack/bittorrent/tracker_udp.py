"""The UDP tracker wire (BEP 15, with BEP 41 URLData options): parse requests, encode replies.

Packets only; connection ids, sockets and swarms live in `tracker/`.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from torrentstack.bittorrent.announce import Announce, AnnounceEvent
from torrentstack.errors import FormatError

__all__ = [
    "ANNOUNCE_SIZE",
    "MAX_SCRAPE_HASHES",
    "PROTOCOL_ID",
    "Action",
    "ConnectRequest",
    "UdpAnnounce",
    "UdpPacketError",
    "UdpScrape",
    "encode_announce",
    "encode_connect",
    "encode_error",
    "encode_scrape",
    "parse_request",
]

PROTOCOL_ID = 0x41727101980  # BEP 15: the magic a connect request carries as its connection id
MAX_SCRAPE_HASHES = 74  # BEP 15: about what fits in one packet; extra hashes are ignored


class Action(enum.IntEnum):
    """The BEP 15 action codes."""

    CONNECT = 0
    ANNOUNCE = 1
    SCRAPE = 2
    ERROR = 3


# Every field is big-endian. Ids and counters are read unsigned and echoed back as read; the
# byte counts are signed int64 (BEP 15) so a negative one can be refused, num_want is int32.
_HEADER = struct.Struct(">QII")  # connection id (or magic), action, transaction id
_ANNOUNCE = struct.Struct(">20s20sqqqII4siH")  # after the header; 98 bytes with it
ANNOUNCE_SIZE = _HEADER.size + _ANNOUNCE.size  # a plain announce, no BEP 41 options
_CONNECT_REPLY = struct.Struct(">IIQ")
_ANNOUNCE_REPLY = struct.Struct(">IIIII")
_SCRAPE_ENTRY = struct.Struct(">III")
_ACTION_TXID = struct.Struct(">II")
# The encoders pack Action values as plain ints: an IntEnum member costs struct a conversion.

_EVENTS = tuple(AnnounceEvent)  # BEP 15 numbers events exactly as AnnounceEvent does
_EVENT_COUNT = len(_EVENTS)
_NO_KEY = bytes(4)

# BEP 41 option types; every other type is followed by a length byte.
_OPTION_END = 0
_OPTION_NOP = 1
_OPTION_URL_DATA = 2


class UdpPacketError(FormatError):
    """A datagram that is not a valid BEP 15 request.

    `transaction_id` is set when the packet was long enough to hold one. `connection_id` is set
    only for announce and scrape packets: answer with an error packet only when `sendable`, and
    only once the connection id has been validated, so forged sources get nothing back (BEP 15).
    """

    def __init__(
        self,
        message: str,
        *,
        transaction_id: int | None = None,
        connection_id: int | None = None,
    ) -> None:
        self.transaction_id = transaction_id
        self.connection_id = connection_id
        super().__init__(message)

    @property
    def sendable(self) -> bool:
        """Whether the packet claimed a connection, so an error reply may be worth sending."""
        return self.transaction_id is not None and self.connection_id is not None


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """Action 0: a client asking for a connection id."""

    transaction_id: int


@dataclass(frozen=True, slots=True)
class UdpAnnounce:
    """Action 1: an announce, with the IPv4 `ip` field as sent and any BEP 41 URL data."""

    connection_id: int
    transaction_id: int
    announce: Announce
    ip: int  # BEP 15's optional IPv4 address as a uint32; 0 means "the sender's"
    url_data: bytes  # BEP 41: all URLData options joined, e.g. b"/announce/KEY?x=1"; b"" if none


@dataclass(frozen=True, slots=True)
class UdpScrape:
    """Action 2: a scrape of 1 to 74 info hashes."""

    connection_id: int
    transaction_id: int
    info_hashes: list[bytes]


def parse_request(data: bytes) -> ConnectRequest | UdpAnnounce | UdpScrape:
    """Parse one request datagram; anything else raises UdpPacketError."""
    n = len(data)
    if n < 16:
        raise UdpPacketError(f"packet of {n} bytes is too short")
    connection_id, action, transaction_id = _HEADER.unpack_from(data)
    if action == 1:
        return _announce(data, connection_id, transaction_id)
    if action == 0:
        if connection_id != PROTOCOL_ID:
            # Not a BEP 15 client (or a forged source): no connection id to answer on.
            raise UdpPacketError(
                "connect request without the protocol id", transaction_id=transaction_id
            )
        return ConnectRequest(transaction_id)
    if action == 2:
        return _scrape(data, connection_id, transaction_id)
    raise UdpPacketError(f"unknown action {action}", transaction_id=transaction_id)


def _announce(data: bytes, connection_id: int, transaction_id: int) -> UdpAnnounce:
    if len(data) < ANNOUNCE_SIZE:
        raise UdpPacketError(
            f"announce of {len(data)} bytes is shorter than {ANNOUNCE_SIZE}",
            transaction_id=transaction_id,
            connection_id=connection_id,
        )
    (info_hash, peer_id, downloaded, left, uploaded, event, ip, key, num_want, port) = (
        _ANNOUNCE.unpack_from(data, 16)
    )
    if event >= _EVENT_COUNT or downloaded < 0 or left < 0 or uploaded < 0:
        what = f"event {event}" if event >= _EVENT_COUNT else "negative byte count"
        raise UdpPacketError(
            f"bad {what}", transaction_id=transaction_id, connection_id=connection_id
        )
    announce = Announce(
        info_hash,
        peer_id,
        port,
        uploaded,
        downloaded,
        left,
        _EVENTS[event],
        num_want if num_want >= 0 else None,  # -1 (or any negative) asks for the default
        key if key != _NO_KEY else None,
    )
    url_data = (
        b""
        if len(data) == ANNOUNCE_SIZE
        else _url_data(data, ANNOUNCE_SIZE, connection_id, transaction_id)
    )
    return UdpAnnounce(connection_id, transaction_id, announce, ip, url_data)


def _url_data(data: bytes, pos: int, connection_id: int, transaction_id: int) -> bytes:
    """Join the URLData options after an announce (BEP 41)."""
    n = len(data)
    parts: list[bytes] = []
    while pos < n:
        option = data[pos]
        if option == _OPTION_END:
            break
        if option == _OPTION_NOP:
            pos += 1
            continue
        # URLData, and any option type still to be defined, is <type><length><length bytes>.
        end = pos + 2 + data[pos + 1] if pos + 1 < n else n + 1
        if end > n:
            raise UdpPacketError(
                f"option {option} runs past the end of the packet",
                transaction_id=transaction_id,
                connection_id=connection_id,
            )
        if option == _OPTION_URL_DATA:
            parts.append(data[pos + 2 : end])
        pos = end
    return b"".join(parts)


def _scrape(data: bytes, connection_id: int, transaction_id: int) -> UdpScrape:
    count, partial = divmod(len(data) - 16, 20)
    # Bytes past the hashes answered are never read: a long scrape that a receive buffer cut
    # short (mid-hash) is answered like any other with more hashes than are answered.
    if count == 0 or (partial and count < MAX_SCRAPE_HASHES):
        problem = "no info hash" if count == 0 else "a partial info hash"
        raise UdpPacketError(
            f"scrape with {problem}", transaction_id=transaction_id, connection_id=connection_id
        )
    end = 16 + 20 * min(count, MAX_SCRAPE_HASHES)
    hashes = [data[i : i + 20] for i in range(16, end, 20)]
    return UdpScrape(connection_id, transaction_id, hashes)


def encode_connect(transaction_id: int, connection_id: int) -> bytes:
    """Encode a connect reply: action 0, the transaction id, the new connection id."""
    return _CONNECT_REPLY.pack(0, transaction_id, connection_id)


def encode_announce(
    transaction_id: int, *, interval: int, leechers: int, seeders: int, endpoints: Sequence[bytes]
) -> bytes:
    """Encode an announce reply; `endpoints` are 6-byte (IPv4) or 18-byte (IPv6) entries."""
    header = _ANNOUNCE_REPLY.pack(1, transaction_id, interval, leechers, seeders)
    return header + b"".join(endpoints)


def encode_scrape(transaction_id: int, stats: Iterable[tuple[int, int, int]]) -> bytes:
    """Encode a scrape reply from `(seeders, completed, leechers)`, in the request's hash order."""
    pack = _SCRAPE_ENTRY.pack
    return _ACTION_TXID.pack(2, transaction_id) + b"".join(
        [pack(seeders, completed, leechers) for seeders, completed, leechers in stats]
    )


def encode_error(transaction_id: int, message: str) -> bytes:
    """Encode an error reply: action 3, the transaction id, the message in UTF-8."""
    return _ACTION_TXID.pack(3, transaction_id) + message.encode("utf-8", "replace")
