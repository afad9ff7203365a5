"""A `torrentDir`: every .torrent file in one folder as a torrent-file searchee.

Indexing is incremental: a file is parsed again only when its mtime or size changed. A file
that is not a torrent is skipped with one warning (until it changes). The folder is read in a
worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from torrentstack.bittorrent.metainfo import parse
from torrentstack.crossseed.searchee import Metafile, Searchee
from torrentstack.crossseed.trackers import tracker_hosts
from torrentstack.errors import FormatError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    mtime_ns: int
    size: int
    searchee: Searchee | None  # None: not a torrent


def torrent_file_searchee(raw: bytes, *, mtime: float | None = None) -> Searchee:
    """A torrent-file searchee of a .torrent's bytes (FormatError when they are not one)."""
    meta = Metafile.from_metainfo(parse(raw))
    return meta.as_searchee(trackers=tracker_hosts(meta.trackers), mtime=mtime)


class TorrentDir:
    """The .torrent files of one folder (not its subfolders), indexed by mtime and size."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(path)
        self._index: dict[str, _Entry] = {}
        self.last_parsed: tuple[str, ...] = ()  # the files the last scan (re)read

    def scan(self) -> list[Searchee]:
        """Bring the index up to date with the folder (blocking); return every searchee."""
        index: dict[str, _Entry] = {}
        parsed: list[str] = []
        with os.scandir(self.path) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".torrent") and e.is_file())
        for name in names:
            path = os.path.join(self.path, name)
            try:
                st = os.stat(path)
            except FileNotFoundError:  # removed meanwhile
                continue
            known = self._index.get(path)
            if known is not None and (known.mtime_ns, known.size) == (st.st_mtime_ns, st.st_size):
                index[path] = known
                continue
            parsed.append(path)
            index[path] = _Entry(st.st_mtime_ns, st.st_size, self._read(path, st.st_mtime))
        self._index = index
        self.last_parsed = tuple(parsed)
        return [e.searchee for e in index.values() if e.searchee is not None]

    @staticmethod
    def _read(path: str, mtime: float) -> Searchee | None:
        try:
            with open(path, "rb") as f:
                raw = f.read()
            return torrent_file_searchee(raw, mtime=mtime)
        except (OSError, FormatError) as exc:
            logger.warning("torrentDir: skipping %s: %s", path, exc)
            return None

    async def searchees(self) -> list[Searchee]:
        """Every torrent-file searchee of the folder, re-reading only changed files."""
        return await asyncio.to_thread(self.scan)
