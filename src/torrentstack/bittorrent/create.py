"""Pure torrent creation: piece size, file order and padding, v1/v2 piece hashing, the metainfo.

No file, socket or thread here: `torrentstack/torrent_builder.py` reads the bytes and feeds them in.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, cast

from torrentstack.bittorrent.bencode import Encodable, encode
from torrentstack.errors import TorrentstackError

__all__ = [
    "BLOCK_SIZE",
    "MAX_PIECE_LENGTH",
    "CreateError",
    "FileEntry",
    "Layout",
    "Metadata",
    "PieceHasher",
    "Segment",
    "Version",
    "assemble",
    "auto_piece_length",
    "check_piece_length",
    "file_root",
    "hash_pieces",
    "merkle_root",
    "plan_layout",
]

Version: TypeAlias = Literal["v1", "v2", "hybrid"]

BLOCK_SIZE = 16 * 1024  # BEP 52: the leaves of every file's merkle tree hash 16 KiB blocks
# libtorrent refuses larger pieces ("some clients don't support pieces this large").
MAX_PIECE_LENGTH = 128 * 1024 * 1024

# libtorrent's automatic piece size (create_torrent with piece_size 0) aims at a piece list of
# about twice the square root of the total size: 16 KiB << i serves totals up to the i-th
# bound, round(piece ** 2 / 100), and anything above the last gets 16 MiB.
_AUTO_PIECE_TABLE = tuple(((BLOCK_SIZE << i) ** 2 + 50) // 100 for i in range(10))


class CreateError(TorrentstackError):
    """A torrent cannot be made; `path` is the offending file or input and `value` the bad value."""

    def __init__(self, message: str, *, path: str | None = None, value: object = None) -> None:
        self.reason = message
        self.path = path
        self.value = value
        super().__init__(f"{path}: {message}" if path is not None else message)


def auto_piece_length(total_length: int) -> int:
    """Return libtorrent's default piece length for `total_length` bytes of content."""
    index = bisect.bisect_left(_AUTO_PIECE_TABLE, total_length)
    return BLOCK_SIZE << index


def check_piece_length(piece_length: int) -> int:
    """Return `piece_length` if it is a power of two from 16 KiB to 128 MiB, else raise."""
    if (
        piece_length < BLOCK_SIZE
        or piece_length > MAX_PIECE_LENGTH
        or piece_length & (piece_length - 1)
    ):
        raise CreateError(
            f"piece size {piece_length} is not a power of two from 16 KiB to 128 MiB",
            value=piece_length,
        )
    return piece_length


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One real file: `path` is relative to the torrent's directory, or `(name,)` for one file."""

    path: tuple[str, ...]
    length: int
    executable: bool = False
    hidden: bool = False

    @property
    def attr(self) -> str | None:
        """Return the BEP 47 `attr` string, in libtorrent's letter order, or None."""
        letters = ("h" if self.hidden else "") + ("x" if self.executable else "")
        return letters or None


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of the hashed byte stream: a file (`file` indexes `Layout.files`) or padding."""

    offset: int
    length: int
    file: int | None


@dataclass(frozen=True, slots=True)
class Layout:
    """Files in torrent order and the byte stream they form, with BEP 47 pads where needed."""

    name: str
    version: Version
    piece_length: int
    single_file: bool
    files: tuple[FileEntry, ...]
    segments: tuple[Segment, ...]
    length: int = field(init=False)  # of the stream, pads included
    _starts: tuple[int, ...] = field(init=False, repr=False)  # segment offsets, for bisect

    def __post_init__(self) -> None:
        last = self.segments[-1] if self.segments else Segment(0, 0, None)
        object.__setattr__(self, "length", last.offset + last.length)
        object.__setattr__(self, "_starts", tuple(s.offset for s in self.segments))

    @property
    def num_pieces(self) -> int:
        """Return the number of pieces of the stream (v1 pieces; v2 piece-layer entries)."""
        return -(-self.length // self.piece_length)

    @property
    def content_length(self) -> int:
        """Return the number of bytes in real files."""
        return sum(f.length for f in self.files)

    def segments_between(self, start: int, end: int) -> Iterable[Segment]:
        """Yield the non-empty segments overlapping stream bytes [start, end)."""
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        for seg in self.segments[i:]:
            if seg.offset >= end:
                break
            if seg.length and seg.offset + seg.length > start:
                yield seg

    def file_segment_at(self, offset: int) -> Segment:
        """Return the file segment holding stream byte `offset` (v2 and hybrid layouts)."""
        for seg in self.segments_between(offset, offset + 1):
            if seg.file is not None:
                return seg
        raise ValueError(f"no file at stream offset {offset}")


def _check_utf8(part: str, path: tuple[str, ...]) -> None:
    try:
        part.encode("utf-8")
    except UnicodeEncodeError as exc:  # a surrogate-escaped byte from the file system
        raise CreateError("file name is not valid UTF-8", path="/".join(path)) from exc


def _sort_key(entry: FileEntry) -> tuple[bytes, ...]:
    return tuple(part.encode("utf-8") for part in entry.path)


def plan_layout(
    name: str,
    files: Iterable[FileEntry],
    *,
    version: Version,
    piece_length: int | None,
    single_file: bool,
) -> Layout:
    """Order `files` and lay them out as libtorrent does for `version` and the piece length."""
    entries = list(files)
    if not entries:
        raise CreateError("no files to make a torrent of", path=name)
    for entry in entries:
        for part in (name, *entry.path):
            _check_utf8(part, entry.path)
    ordered = tuple(sorted(entries, key=_sort_key))
    for before, after in itertools.pairwise(ordered):
        # Sorted by components, a path is directly followed by any path it is a prefix of.
        if after.path[: len(before.path)] == before.path:
            raise CreateError("two files share a path", path="/".join(after.path))
    if single_file and len(ordered) != 1:
        raise ValueError("a single-file torrent has exactly one file")
    total = sum(f.length for f in ordered)
    if total == 0:
        raise CreateError("every file is empty; a torrent needs at least one byte", path=name)
    plen = check_piece_length(auto_piece_length(total) if piece_length is None else piece_length)
    # BEP 52 needs each file to start on a piece boundary; libtorrent (create_torrent.cpp,
    # canonicalize) pads *after* every non-empty file, the last included, whenever there is more
    # than one file. In a hybrid torrent those pads are BEP 47 pad files in the v1 file list.
    aligned = version != "v1" and len(ordered) > 1
    segments: list[Segment] = []
    offset = 0
    for index, entry in enumerate(ordered):
        segments.append(Segment(offset, entry.length, index))
        offset += entry.length
        if aligned and entry.length and offset % plen:
            pad = plen - offset % plen
            segments.append(Segment(offset, pad, None))
            offset += pad
    return Layout(
        name=name,
        version=version,
        piece_length=plen,
        single_file=single_file,
        files=ordered,
        segments=tuple(segments),
    )


@functools.cache
def _zero_subtree(level: int) -> bytes:
    """Return the hash of an all-zero-leaf subtree `level` layers above the 16 KiB blocks."""
    if level == 0:
        return bytes(32)
    below = _zero_subtree(level - 1)
    return hashlib.sha256(below + below).digest()


def merkle_root(leaves: Sequence[bytes], width: int, level: int = 0) -> bytes:
    """Return the BEP 52 root over `leaves`, zero-padded to `width` (a power of two).

    `level` is how many layers above the 16 KiB blocks the leaves sit, which picks the padding:
    the hash of an all-zero subtree of that height.
    """
    layer = list(leaves)
    sha256 = hashlib.sha256
    while width > 1:
        if len(layer) % 2:
            layer.append(_zero_subtree(level))
        layer = [sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
        width //= 2
        level += 1
    return layer[0] if layer else _zero_subtree(level)


def _next_pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


def file_root(piece_roots: Sequence[bytes], piece_length: int) -> bytes:
    """Return a file's `pieces root` from its piece layer (BEP 52)."""
    if len(piece_roots) == 1:
        return piece_roots[0]
    level = (piece_length // BLOCK_SIZE).bit_length() - 1
    return merkle_root(piece_roots, _next_pow2(len(piece_roots)), level)


def hash_pieces(
    layout: Layout, first_piece: int, data: memoryview | bytes
) -> tuple[bytes, list[bytes]]:
    """Hash whole pieces of the stream starting at `first_piece`: SHA-1 pieces and v2 roots.

    `data` holds the stream from that piece on (the stream's last piece may be short). In a v2
    or hybrid layout every piece lies in one file, so its v2 root covers that file's bytes only;
    bytes under a pad are never read for v2 and must be zeros for v1 (BEP 47).
    """
    view = memoryview(data)
    plen = layout.piece_length
    want_v1 = layout.version != "v2"
    want_v2 = layout.version != "v1"
    sha1 = hashlib.sha1
    sha256 = hashlib.sha256
    pieces: list[bytes] = []
    trees: list[tuple[list[bytes], int]] = []
    start = first_piece * plen
    for at in range(0, len(view), plen):
        piece = view[at : at + plen]
        if want_v1:
            pieces.append(sha1(piece, usedforsecurity=False).digest())
        if want_v2:
            seg = layout.file_segment_at(start + at)
            used = min(plen, seg.offset + seg.length - (start + at))
            piece = piece[:used]
            leaves = [
                sha256(piece[i : i + BLOCK_SIZE]).digest() for i in range(0, used, BLOCK_SIZE)
            ]
            # A file smaller than a piece pads its blocks to the next power of two, not to a
            # whole piece (BEP 52; libtorrent's on_hash does the same).
            width = plen // BLOCK_SIZE if seg.length >= plen else _next_pow2(len(leaves))
            trees.append((leaves, width))
    # The small node hashes never release the GIL; they run after all the block hashes, which
    # do, so a thread switches between the two kinds of work once per span, not once per piece.
    roots = [merkle_root(leaves, width) for leaves, width in trees]
    return b"".join(pieces), roots


class PieceHasher:
    """Incremental BEP 3 piece hasher: feed byte chunks of any size, then take `digest()`."""

    def __init__(self, piece_length: int) -> None:
        self._piece_length = piece_length
        self._current = hashlib.sha1(usedforsecurity=False)
        self._filled = 0
        self._pieces: list[bytes] = []

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add the next bytes of the stream."""
        view = memoryview(data)
        while view:
            take = min(len(view), self._piece_length - self._filled)
            self._current.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == self._piece_length:
                self._pieces.append(self._current.digest())
                self._current = hashlib.sha1(usedforsecurity=False)
                self._filled = 0

    def digest(self) -> bytes:
        """Return the concatenated piece hashes, a short last piece included."""
        tail = [self._current.digest()] if self._filled else []
        return b"".join(self._pieces + tail)


@dataclass(frozen=True, slots=True)
class Metadata:
    """Everything outside the hashed content: trackers (tiers), web seeds and the text fields."""

    trackers: tuple[tuple[str, ...], ...] = ()
    web_seeds: tuple[str, ...] = ()
    private: bool = False
    comment: str | None = None
    source: str | None = None
    created_by: str | None = None
    creation_date: int | None = None


def _v2_hashes(
    layout: Layout, roots: Sequence[bytes]
) -> tuple[list[bytes | None], dict[bytes, bytes]]:
    file_roots: list[bytes | None] = [None] * len(layout.files)
    layers: dict[bytes, bytes] = {}
    plen = layout.piece_length
    for seg in layout.segments:
        if seg.file is None or not seg.length:
            continue
        first = seg.offset // plen
        layer = roots[first : first - (-seg.length // plen)]
        root = file_root(layer, plen)
        file_roots[seg.file] = root
        if len(layer) > 1:  # a one-piece file's root is its only piece hash: no layer (BEP 52)
            layers[root] = b"".join(layer)
    return file_roots, layers


def _file_tree(layout: Layout, file_roots: Sequence[bytes | None]) -> dict[str, Encodable]:
    tree: dict[str, Encodable] = {}
    for entry, root in zip(layout.files, file_roots, strict=True):
        node = tree
        for part in entry.path:
            node = cast("dict[str, Encodable]", node.setdefault(part, {}))
        leaf: dict[str, Encodable] = {"length": entry.length}
        if entry.attr:
            leaf["attr"] = entry.attr
        if root is not None:  # BEP 52: empty files have no `pieces root`
            leaf["pieces root"] = root
        node[""] = leaf
    return tree


def _v1_files(layout: Layout) -> list[Encodable]:
    files: list[Encodable] = []
    for seg in layout.segments:
        if seg.file is None:
            # BEP 47 pad file, named as libtorrent names them.
            files.append({"attr": "p", "length": seg.length, "path": [".pad", str(seg.length)]})
            continue
        entry = layout.files[seg.file]
        item: dict[str, Encodable] = {"length": entry.length, "path": list(entry.path)}
        if entry.attr:
            item["attr"] = entry.attr
        files.append(item)
    return files


def assemble(layout: Layout, pieces: bytes, roots: Sequence[bytes], meta: Metadata) -> bytes:
    """Return the bencoded torrent for `layout`, given what `hash_pieces` produced for it."""
    want_v1 = layout.version != "v2"
    want_v2 = layout.version != "v1"
    if want_v1 and len(pieces) != 20 * layout.num_pieces:
        raise ValueError("need one SHA-1 per piece")
    if want_v2 and len(roots) != layout.num_pieces:
        raise ValueError("need one v2 root per piece")
    info: dict[str, Encodable] = {"name": layout.name, "piece length": layout.piece_length}
    torrent: dict[str, Encodable] = {"info": info}
    if want_v1:  # BEP 3
        info["pieces"] = pieces
        if layout.single_file:
            info["length"] = layout.files[0].length
            if layout.files[0].attr:
                info["attr"] = layout.files[0].attr
        else:
            info["files"] = _v1_files(layout)
    if want_v2:  # BEP 52
        file_roots, layers = _v2_hashes(layout, roots)
        info["meta version"] = 2
        info["file tree"] = _file_tree(layout, file_roots)
        torrent["piece layers"] = layers
    if meta.private:  # BEP 27
        info["private"] = 1
    if meta.source:  # not in libtorrent; qBittorrent and private trackers add it to info
        info["source"] = meta.source
    # BEP 12: `announce` is the first tracker; `announce-list` only when there are more.
    urls = [url for tier in meta.trackers for url in tier]
    if urls:
        torrent["announce"] = urls[0]
    if len(urls) > 1:
        torrent["announce-list"] = [list(tier) for tier in meta.trackers if tier]
    if meta.web_seeds:  # BEP 19; libtorrent writes a lone URL as a string
        seeds = list(meta.web_seeds)
        torrent["url-list"] = seeds[0] if len(seeds) == 1 else seeds
    if meta.comment:
        torrent["comment"] = meta.comment
    if meta.created_by:
        torrent["created by"] = meta.created_by
    if meta.creation_date:
        torrent["creation date"] = meta.creation_date
    return encode(torrent)
