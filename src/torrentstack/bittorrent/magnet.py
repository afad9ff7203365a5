"""Magnet links (BEP 9, BEP 53 hybrid `btmh`): `parse` a URI into a `Magnet` and `format` it back.

Only the parameters BitTorrent clients act on are kept: xt, dn, tr, xl, ws and x.pe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from torrentstack.bittorrent.infohash import InfoHash, InfoHashError
from torrentstack.errors import FormatError

__all__ = ["Magnet", "MagnetError", "format", "parse"]

_SHA256_MULTIHASH = "1220"  # multihash code 0x12 (sha2-256), digest length 0x20 (BEP 9 btmh)


class MagnetError(FormatError):
    """Text that is not a usable magnet link; `value` keeps the offending URI or parameter."""

    def __init__(self, message: str, value: object) -> None:
        self.value = value
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Magnet:
    """A magnet link: at least one info hash plus optional name, trackers, seeds and peers."""

    info_hash_v1: InfoHash | None = None
    info_hash_v2: InfoHash | None = None
    name: str | None = None  # dn
    trackers: tuple[str, ...] = ()  # tr, each its own tier as libtorrent does
    web_seeds: tuple[str, ...] = ()  # ws (BEP 19)
    peers: tuple[tuple[str, int], ...] = ()  # x.pe as (host, port)
    length: int | None = None  # xl, the total size in bytes

    def __post_init__(self) -> None:
        if self.info_hash_v1 is None and self.info_hash_v2 is None:
            raise MagnetError("a magnet link needs a v1 or v2 info hash", None)
        if self.info_hash_v1 is not None and self.info_hash_v1.version != 1:
            raise MagnetError("info_hash_v1 must be a 20-byte hash", self.info_hash_v1)
        if self.info_hash_v2 is not None and self.info_hash_v2.version != 2:
            raise MagnetError("info_hash_v2 must be a 32-byte hash", self.info_hash_v2)
        if self.length is not None and not 0 <= self.length < 10**20:
            raise MagnetError("xl must be a non-negative integer of at most 20 digits", self.length)

    @property
    def info_hash(self) -> InfoHash:
        """Return the v1 hash if there is one, else the v2 hash."""
        if self.info_hash_v1 is not None:
            return self.info_hash_v1
        if self.info_hash_v2 is not None:
            return self.info_hash_v2
        raise MagnetError("a magnet link needs a v1 or v2 info hash", None)  # __post_init__ bars

    def to_uri(self) -> str:
        """Return the magnet URI; `parse(m.to_uri()) == m`."""
        return format(self)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary shaped like `Metainfo.to_dict`."""
        return {
            "name": self.name,
            "info_hash_v1": self.info_hash_v1.hex if self.info_hash_v1 else None,
            "info_hash_v2": self.info_hash_v2.hex if self.info_hash_v2 else None,
            "trackers": [[url] for url in self.trackers],
            "web_seeds": list(self.web_seeds),
            "peers": [_peer_text(host, port) for host, port in self.peers],
            "length": self.length,
        }


def parse(uri: str) -> Magnet:
    """Parse a magnet URI; raise MagnetError if it is not one or names no usable hash."""
    if not isinstance(uri, str):
        raise MagnetError("a magnet link must be text", uri)
    scheme, _, rest = uri.strip().partition(":")
    if scheme.lower() != "magnet" or not rest.startswith("?"):
        raise MagnetError("not a magnet URI (expected magnet:?...)", uri)
    query = rest[1:].partition("#")[0]
    v1: InfoHash | None = None
    v2: InfoHash | None = None
    name: str | None = None
    length: int | None = None
    trackers: list[str] = []
    web_seeds: list[str] = []
    peers: list[tuple[str, int]] = []
    for key, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        key = key.lower()
        if key == "xt" or key.startswith("xt."):  # "xt.1", "xt.2": numbered exact topics
            version, digest = _exact_topic(value)
            if version == 1:
                if v1 is not None and v1 != digest:
                    raise MagnetError("two different btih hashes", uri)
                v1 = digest
            elif version == 2:
                if v2 is not None and v2 != digest:
                    raise MagnetError("two different btmh hashes", uri)
                v2 = digest
        elif key == "dn" and name is None:
            name = value
        elif (key == "tr" or key.startswith("tr.")) and value:  # "tr.1": numbered, as xt
            trackers.append(value)
        elif key == "ws" and value:
            web_seeds.append(value)
        elif key == "x.pe":
            peer = _peer(value)  # unusable peers are skipped, as libtorrent does
            if peer is not None:
                peers.append(peer)
        elif key == "xl":
            if not value.isascii() or not value.isdigit() or len(value) > 20:
                raise MagnetError("xl must be a non-negative integer of at most 20 digits", value)
            length = int(value)
    if v1 is None and v2 is None:
        raise MagnetError("no urn:btih or urn:btmh exact topic (xt)", uri)
    return Magnet(v1, v2, name, tuple(trackers), tuple(web_seeds), tuple(peers), length)


def format(magnet: Magnet) -> str:  # shadows the builtin on purpose: callers say magnet.format
    """Return `magnet` as a URI, every value percent-encoded."""
    parts = []
    if magnet.info_hash_v1 is not None:
        parts.append("xt=urn:btih:" + magnet.info_hash_v1.hex)
    if magnet.info_hash_v2 is not None:
        parts.append("xt=urn:btmh:" + _SHA256_MULTIHASH + magnet.info_hash_v2.hex)
    if magnet.name is not None:
        parts.append("dn=" + quote(magnet.name, safe=""))
    if magnet.length is not None:
        parts.append(f"xl={magnet.length}")
    parts.extend("tr=" + quote(url, safe="") for url in magnet.trackers)
    parts.extend("ws=" + quote(url, safe="") for url in magnet.web_seeds)
    parts.extend("x.pe=" + quote(_peer_text(h, p), safe=":[]") for h, p in magnet.peers)
    return "magnet:?" + "&".join(parts)


def _exact_topic(value: str) -> tuple[int, InfoHash | None]:
    urn = value.strip()
    prefix = urn[:9].lower()
    try:
        if prefix == "urn:btih:":
            digest = InfoHash.parse(urn[9:])
            if digest.version != 1:
                raise MagnetError("btih must be 40 hex or 32 base32 characters", value)
            return 1, digest
        if prefix == "urn:btmh:":
            multihash = urn[9:]
            if multihash[:4] != _SHA256_MULTIHASH or len(multihash) != 68:
                raise MagnetError("btmh must be a sha2-256 multihash, 1220 + 64 hex", value)
            return 2, InfoHash.from_hex(multihash[4:])
    except InfoHashError as exc:
        raise MagnetError(f"bad info hash in xt: {exc}", value) from exc
    return 0, None  # another kind of URN (ed2k, sha1 ...): not ours to judge


def _peer(text: str) -> tuple[str, int] | None:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or len(port) > 5:
        return None
    if not 0 < int(port) < 65536:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host:
            return None
    elif ":" in host:  # a bare IPv6 address: the port is ambiguous
        return None
    if not host or any(c in host for c in " []/?#@"):
        return None
    return host, int(port)


def _peer_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
