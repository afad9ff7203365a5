"""What cross-seed compares: searchees (content the user has), candidates and metafiles.

Pure data. A *searchee* is something the user already has: a torrent in a client, a .torrent in
a `torrentDir`, or files in a `dataDirs` folder. A *candidate* is a listing on an indexer (a
Torznab item or an announce), known by name and maybe size before its .torrent is downloaded;
the downloaded .torrent is its *metafile*.

File paths follow cross-seed: relative, `/`-separated, and for a multi-file torrent they start
with the torrent's name (`Show.S01/Show.S01E01.mkv`); a single-file torrent's one path is its
name. `File.name` is the last path component.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from torrentstack.bittorrent.metainfo import Metainfo
from torrentstack.crossseed.media import repair_title


@dataclass(frozen=True, slots=True)
class File:
    """One file of a searchee or a metafile."""

    path: str
    length: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def files_of(entries: Iterable[tuple[str, int]]) -> tuple[File, ...]:
    return tuple(File(path, length) for path, length in entries)


class SearcheeSource(enum.Enum):
    """Where a searchee came from; it decides how its files compare and where it is injected."""

    CLIENT = "client"
    TORRENT_FILE = "torrentFile"
    DATA = "data"
    VIRTUAL = "virtual"


@dataclass(frozen=True, slots=True)
class Searchee:
    """Content the user has.

    `info_hash` is set for client and torrent-file searchees (lower-case v1 hex), `path` for data
    searchees (the file or folder on disk). `save_path` is the client's save path, `complete`
    whether the client has all of it. `client` names the client it lives in.
    """

    name: str
    files: tuple[File, ...]
    info_hash: str | None = None
    path: str | None = None
    save_path: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    trackers: tuple[str, ...] = ()
    client: str | None = None
    complete: bool = True
    auto_tmm: bool = False
    subfolder_layout: bool = False
    mtime: float | None = None
    length: int = field(default=-1)
    title: str = ""  # cross-seed's parsed title: the name, or rebuilt from episode files

    def __post_init__(self) -> None:
        if self.length < 0:
            object.__setattr__(self, "length", sum(f.length for f in self.files))
        if not self.title:
            object.__setattr__(self, "title", repair_title(self.name, self.files, self.path))

    @property
    def source(self) -> SearcheeSource:
        if self.save_path is not None and self.info_hash is not None:
            return SearcheeSource.CLIENT
        if self.info_hash is not None:
            return SearcheeSource.TORRENT_FILE
        if self.path is not None:
            return SearcheeSource.DATA
        return SearcheeSource.VIRTUAL


@dataclass(frozen=True, slots=True)
class Candidate:
    """A listing on an indexer or an announce: what is known before the .torrent is fetched."""

    name: str
    guid: str
    link: str | None
    tracker: str
    size: int | None = None
    pub_date: float | None = None
    indexer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Metafile:
    """A candidate's downloaded .torrent, reduced to what matching and injection need."""

    name: str
    info_hash: str
    piece_length: int
    files: tuple[File, ...]
    raw: bytes = b""
    trackers: tuple[str, ...] = ()
    length: int = field(default=-1)
    title: str = ""

    def __post_init__(self) -> None:
        if self.length < 0:
            object.__setattr__(self, "length", sum(f.length for f in self.files))
        if not self.title:
            object.__setattr__(self, "title", repair_title(self.name, self.files))

    @classmethod
    def from_metainfo(cls, meta: Metainfo) -> Metafile:
        return cls(
            name=meta.name,
            info_hash=meta.info_hash.truncated.hex(),
            piece_length=meta.piece_length,
            files=files_of((f.path, f.length) for f in meta.files if not f.pad),
            raw=meta.raw,
            trackers=tuple(url for tier in meta.trackers for url in tier),
        )

    def as_searchee(self, **extra: object) -> Searchee:
        """This torrent as a torrent-file searchee (a `torrentDir` entry)."""
        return Searchee(name=self.name, files=self.files, info_hash=self.info_hash, **extra)  # type: ignore[arg-type]


def torrent_paths(name: str, entries: Sequence[tuple[str, int]]) -> tuple[File, ...]:
    """cross-seed paths for a torrent's files given paths relative to its content folder."""
    if len(entries) == 1 and entries[0][0] == name:
        return files_of(entries)
    return files_of((f"{name}/{p}", n) for p, n in entries)
