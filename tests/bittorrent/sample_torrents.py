"""The real torrents in tests/data and libtorrent's view of them (see make_torrents.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def expected() -> dict[str, dict[str, Any]]:
    """Return libtorrent's view of each torrent, as tests/data/make_torrents.py recorded it."""
    result: dict[str, dict[str, Any]] = json.loads((DATA / "expected.json").read_text("utf-8"))
    return result


def torrent_names() -> list[str]:
    """Return the file names of every real torrent in tests/data."""
    return sorted(expected())


@cache
def torrent_bytes(name: str) -> bytes:
    """Return the raw bytes of tests/data/<name>."""
    return (DATA / name).read_bytes()
