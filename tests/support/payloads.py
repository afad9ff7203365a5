"""Torrents for the client tests: real files on disk and the .torrent libtorrent makes of them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.support.libtorrent_reference import lt_create


def payload_bytes(name: str, size: int) -> bytes:
    """Deterministic bytes that differ per name (so every torrent has its own hash)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{name}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def make_torrent(
    root: Path,
    name: str,
    files: dict[str, int],
    *,
    trackers: tuple[str, ...] = (),
    piece_length: int = 16384,
) -> tuple[bytes, Path]:
    """Write `files` (relative path -> size) under root/name; return (.torrent bytes, path)."""
    base = root / name
    if len(files) == 1 and next(iter(files)) == name:
        base.parent.mkdir(parents=True, exist_ok=True)
        base.write_bytes(payload_bytes(name, files[name]))
    else:
        for relative, size in files.items():
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload_bytes(f"{name}/{relative}", size))
    tiers = tuple((url,) for url in trackers)
    return lt_create(base, "v1", piece_length, trackers=tiers), base
