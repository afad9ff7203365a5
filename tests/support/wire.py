"""Building announce/scrape requests (HTTP and BEP 15 UDP) and reading replies, as a BitTorrent
client would."""

from __future__ import annotations

import struct
from typing import Any
from urllib.parse import quote_from_bytes

from torrentstack.bittorrent import bencode
from torrentstack.bittorrent.announce import AnnounceEvent, pack_endpoint
from torrentstack.tracker.swarm import Peer

HASH_A = bytes.fromhex("c12fe1c06bba254a9dc9f519b335aa7c1367a88a")
HASH_B = bytes.fromhex("0000000000000000000000000000000000000b0b")
MAGIC = 0x41727101980  # BEP 15 protocol id of a connect request


def peer_id(n: int) -> bytes:
    return b"-qB4650-" + n.to_bytes(12, "big")


def make_peer(
    n: int,
    *,
    at: float,
    ip: str | None = None,
    port: int = 6881,
    left: int = 100,
    up: int = 0,
    down: int = 0,
    event: AnnounceEvent = AnnounceEvent.NONE,
) -> Peer:
    """Peer number `n` (its own peer id and, unless given, its own 10.0.x.y address)."""
    address = ip if ip is not None else f"10.0.{n // 256}.{n % 256}"
    return Peer(peer_id(n), pack_endpoint(address, port), up, down, left, event, at)


def announce_query(
    info_hash: bytes = HASH_A,
    *,
    n: int = 1,
    port: int = 6881,
    left: int = 100,
    uploaded: int = 0,
    downloaded: int = 0,
    event: str | None = None,
    compact: int | None = 1,
    **extra: Any,
) -> str:
    params = [
        f"info_hash={quote_from_bytes(info_hash)}",
        f"peer_id={quote_from_bytes(peer_id(n))}",
        f"port={port}",
        f"uploaded={uploaded}",
        f"downloaded={downloaded}",
        f"left={left}",
    ]
    if event is not None:
        params.append(f"event={event}")
    if compact is not None:
        params.append(f"compact={compact}")
    params += [f"{k}={v}" for k, v in extra.items()]
    return "&".join(params)


def scrape_query(*hashes: bytes) -> str:
    return "&".join(f"info_hash={quote_from_bytes(h)}" for h in hashes)


def decoded(body: bytes) -> dict[bytes, Any]:
    value = bencode.decode(body)
    assert isinstance(value, dict)
    return value


def compact_peers(blob: bytes, size: int = 6) -> list[tuple[str, int]]:
    import ipaddress

    out = []
    for i in range(0, len(blob), size):
        chunk = blob[i : i + size]
        out.append((str(ipaddress.ip_address(chunk[:-2])), int.from_bytes(chunk[-2:], "big")))
    return out


# --- BEP 15 (UDP) requests ---


def connect_packet(txid: int = 1) -> bytes:
    return struct.pack(">QII", MAGIC, 0, txid)


def announce_packet(
    cid: int,
    info_hash: bytes = HASH_A,
    *,
    n: int = 1,
    left: int = 100,
    event: int = 0,
    port: int = 6881,
    numwant: int = -1,
    options: bytes = b"",
    txid: int = 2,
) -> bytes:
    fields = (cid, 1, txid, info_hash, peer_id(n), 0, left, 0, event, 0, b"\0\0\0\7", numwant, port)
    return struct.pack(">QII20s20sqqqII4siH", *fields) + options


def url_data(text: bytes) -> bytes:
    return b"\x02" + bytes([len(text)]) + text
