"""What an add hands the bridge: a magnet or a .torrent, parsed into its hash, name and size."""

from __future__ import annotations

from dataclasses import dataclass

from torrentstack.bittorrent import magnet as magnets
from torrentstack.bittorrent import metainfo
from torrentstack.errors import FormatError


class BadSource(ValueError):
    """Neither a usable magnet nor a .torrent; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Added:
    hash: str  # v1 info hash, or a v2 one truncated to 40 characters (as qBittorrent does)
    name: str
    size: int
    magnet: str
    torrent: bytes | None


def from_magnet(uri: str) -> Added:
    try:
        parsed = magnets.parse(uri.strip())
    except FormatError as exc:
        raise BadSource(f"not a magnet link: {exc}") from None
    ih = parsed.info_hash_v1 or parsed.info_hash_v2
    assert ih is not None  # noqa: S101 - Magnet refuses one without a hash
    hash_ = ih.hex[:40]
    return Added(hash_, parsed.name or hash_, parsed.length or 0, uri.strip(), None)


def from_torrent(data: bytes, file_name: str = "") -> Added:
    try:
        parsed = metainfo.parse(data)
    except FormatError as exc:
        raise BadSource(f"{file_name or 'the file'} is not a valid torrent file: {exc}") from None
    ih = parsed.info_hash_v1 or parsed.info_hash_v2
    assert ih is not None  # noqa: S101 - a parsed torrent has one
    hash_ = ih.hex[:40]
    uri = (
        f"magnet:?xt=urn:btih:{hash_}"
        if parsed.info_hash_v1
        else f"magnet:?xt=urn:btmh:1220{ih.hex}"
    )
    return Added(hash_, parsed.name, parsed.total_size, uri, data)
