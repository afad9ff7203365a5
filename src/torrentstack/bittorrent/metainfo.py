"""Parse .torrent files (BEP 3 v1, BEP 52 v2 and hybrids) into a validated `Metainfo` value.

Info hashes are computed over the exact info bytes found in the file, never a re-encoding.
Creating torrents (hashing content) lives in `create.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from torrentstack.bittorrent.bencode import Value, decode_torrent
from torrentstack.bittorrent.infohash import InfoHash
from torrentstack.errors import FormatError

__all__ = ["FileEntry", "Metainfo", "MetainfoError", "parse"]

_V2_MIN_PIECE = 16 * 1024  # BEP 52: a power of two, at least 16 KiB


class MetainfoError(FormatError):
    """A torrent whose structure is wrong; `field` names the offending key, e.g. `info.name`."""

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file: its "/"-joined path (starting with the torrent name when multi-file)."""

    path: str
    length: int
    pad: bool = False  # BEP 47 padding file (attr contains "p")
    pieces_root: bytes | None = None  # BEP 52 merkle root; None for v1-only and empty files
    attr: str = ""  # BEP 47 attributes: p (pad), x (executable), h (hidden), l (symlink)


@dataclass(frozen=True, slots=True)
class Metainfo:
    """A parsed, validated torrent file."""

    name: str
    info_hash_v1: InfoHash | None
    info_hash_v2: InfoHash | None
    piece_length: int
    pieces_count: int
    private: bool
    files: tuple[FileEntry, ...]
    total_size: int  # excluding BEP 47 pad files
    trackers: tuple[tuple[str, ...], ...]  # BEP 12 tiers
    url_list: tuple[str, ...]  # BEP 19 web seeds
    comment: str | None
    created_by: str | None
    creation_date: int | None
    source: str | None
    meta_version: int  # 1, or 2 for v2 and hybrid torrents
    pieces: bytes = field(repr=False)  # the v1 SHA-1 piece hashes, b"" for v2-only
    piece_layers: Mapping[bytes, bytes] = field(repr=False, hash=False)  # BEP 52, root -> hashes
    info: dict[bytes, Value] = field(repr=False, hash=False, compare=False)
    info_bytes: bytes = field(repr=False)
    raw: bytes = field(repr=False)

    @property
    def has_v1(self) -> bool:
        """Return whether the torrent carries v1 (SHA-1) piece hashes."""
        return self.info_hash_v1 is not None

    @property
    def has_v2(self) -> bool:
        """Return whether the torrent carries a BEP 52 file tree."""
        return self.info_hash_v2 is not None

    @property
    def is_hybrid(self) -> bool:
        """Return whether the torrent is both v1 and v2 (BEP 52 hybrid)."""
        return self.has_v1 and self.has_v2

    @property
    def info_hash(self) -> InfoHash:
        """Return the v1 hash if there is one, else the v2 hash (what clients show first)."""
        if self.info_hash_v1 is not None:
            return self.info_hash_v1
        if self.info_hash_v2 is not None:
            return self.info_hash_v2
        raise MetainfoError("neither v1 nor v2", field="info")  # parse() never builds this

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary (what `inspect --json` prints)."""
        return {
            "name": self.name,
            "info_hash_v1": self.info_hash_v1.hex if self.info_hash_v1 else None,
            "info_hash_v2": self.info_hash_v2.hex if self.info_hash_v2 else None,
            "piece_length": self.piece_length,
            "private": self.private,
            "trackers": [list(tier) for tier in self.trackers],
            "files": [{"path": f.path, "length": f.length} for f in self.files if not f.pad],
            "total_size": self.total_size,
            "comment": self.comment,
            "created_by": self.created_by,
            "creation_date": self.creation_date,
            "source": self.source,
            "url_list": list(self.url_list),
            "meta_version": self.meta_version,
        }


def parse(data: bytes) -> Metainfo:
    """Parse and validate a .torrent file; raise MetainfoError (or BencodeError) if it is bad."""
    # Lenient key order: real torrents with unsorted info keys still load, and their hash is
    # taken over the raw span, so it matches every other client's.
    decoded = decode_torrent(data, strict=False)
    top = decoded.value
    info = top.get(b"info")
    if not isinstance(info, dict) or decoded.info_bytes is None:
        raise MetainfoError("missing or not a dict", field="info")
    info_bytes = decoded.info_bytes

    name = _name(info)
    meta_version = _optional_int(info, b"meta version", "info.meta version")
    if meta_version not in (None, 2):
        raise MetainfoError(f"unsupported version {meta_version}", field="info.meta version")
    has_v2 = meta_version == 2
    has_v1 = b"pieces" in info
    if not has_v1 and not has_v2:
        raise MetainfoError("missing (and no BEP 52 meta version 2)", field="info.pieces")

    piece_length = _optional_int(info, b"piece length", "info.piece length")
    if piece_length is None or piece_length <= 0:
        raise MetainfoError("missing or not a positive integer", field="info.piece length")
    if has_v2 and (piece_length < _V2_MIN_PIECE or piece_length & (piece_length - 1)):
        raise MetainfoError(
            f"{piece_length} is not a power of two >= 16 KiB (BEP 52)", field="info.piece length"
        )

    pieces = b""
    v1_files: list[FileEntry] = []
    if has_v1:
        v1_files = _v1_files(info, name)
        pieces = _pieces(info, v1_files, piece_length)
    v2_files: list[FileEntry] = []
    layers: dict[bytes, bytes] = {}
    if has_v2:
        # A hybrid's v1 part says whether it is single-file: a directory holding one file is
        # not (libtorrent makes such a torrent from a folder with one file in it).
        multi_v1 = has_v1 and b"length" not in info
        v2_files = _v2_files(info.get(b"file tree"), name, multi=multi_v1)
        layers = _piece_layers(top.get(b"piece layers"), v2_files, piece_length)
    v2_count = sum(-(-f.length // piece_length) for f in v2_files)

    if has_v1 and has_v2:
        files = _merge_hybrid(v1_files, v2_files)
        if len(pieces) // 20 != v2_count:
            raise MetainfoError(
                "v1 pieces do not line up with the v2 files (missing pad files?)",
                field="info.pieces",
            )
    else:
        files = v1_files or v2_files
    _check_collisions(files)

    return Metainfo(
        name=name,
        info_hash_v1=InfoHash.v1_of(info_bytes) if has_v1 else None,
        info_hash_v2=InfoHash.v2_of(info_bytes) if has_v2 else None,
        piece_length=piece_length,
        pieces_count=len(pieces) // 20 if has_v1 else v2_count,
        # BEP 27: private=1 makes clients use only the torrent's trackers (no DHT, PEX, LSD).
        private=_optional_int(info, b"private", "info.private") == 1,
        files=tuple(files),
        total_size=sum(f.length for f in files if not f.pad),
        trackers=_trackers(top),
        url_list=_url_list(top.get(b"url-list")),
        comment=_display(top, b"comment"),
        created_by=_display(top, b"created by"),
        creation_date=_optional_int(top, b"creation date", "creation date"),
        source=_display(info, b"source", "info."),
        meta_version=2 if has_v2 else 1,
        pieces=pieces,
        piece_layers=layers,
        info=info,
        info_bytes=info_bytes,
        raw=decoded.raw,
    )


def _name(info: dict[bytes, Value]) -> str:
    # BEP 3 says UTF-8; some old clients add `name.utf-8` next to a legacy-encoded `name`.
    alt = info.get(b"name.utf-8")
    if isinstance(alt, bytes):
        try:
            return _component(alt.decode(), "info.name.utf-8")
        except UnicodeDecodeError:
            pass
    raw = info.get(b"name")
    if not isinstance(raw, bytes):
        raise MetainfoError("missing or not a string", field="info.name")
    return _component(_utf8(raw, "info.name"), "info.name")


def _component(text: str, field: str) -> str:
    # Path traversal defence: a component must be a plain name. A backslash is a separator on
    # Windows, so "..\\x" would escape there; NUL truncates paths in C APIs.
    if text in ("", ".", "..") or "/" in text or "\\" in text or "\x00" in text:
        raise MetainfoError(f"unsafe path component {text!r}", field=field)
    return text


def _utf8(raw: bytes, field: str) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise MetainfoError(
            f"not valid UTF-8 ({exc.reason} at byte {exc.start})", field=field
        ) from None


def _optional_int(d: dict[bytes, Value], key: bytes, field: str) -> int | None:
    value = d.get(key)
    if value is not None and not isinstance(value, int):
        raise MetainfoError("not an integer", field=field)
    return value


def _length(d: dict[bytes, Value], field: str) -> int:
    value = d.get(b"length")
    if not isinstance(value, int) or value < 0:
        raise MetainfoError("missing or not a non-negative integer", field=field)
    return value


def _attr(d: dict[bytes, Value], field: str) -> str:
    value = d.get(b"attr", b"")
    if not isinstance(value, bytes):
        raise MetainfoError("not a string", field=field)
    return value.decode("ascii", "replace")


def _v1_files(info: dict[bytes, Value], name: str) -> list[FileEntry]:
    files = info.get(b"files")
    if b"length" in info:  # single-file: the name is the file name
        if files is not None:
            raise MetainfoError("both `length` and `files` present", field="info.files")
        attr = _attr(info, "info.attr")
        return [FileEntry(name, _length(info, "info.length"), "p" in attr, None, attr)]
    if not isinstance(files, list) or not files:
        raise MetainfoError(
            "missing `length`, and `files` is not a non-empty list", field="info.files"
        )
    result = []
    for i, entry in enumerate(files):
        where = f"info.files[{i}]"
        if not isinstance(entry, dict):
            raise MetainfoError("not a dict", field=where)
        attr = _attr(entry, f"{where}.attr")
        parts = _v1_path(entry, where)
        result.append(
            FileEntry(
                "/".join([name, *parts]), _length(entry, f"{where}.length"), "p" in attr, None, attr
            )
        )
    return result


def _v1_path(entry: dict[bytes, Value], where: str) -> list[str]:
    alt = entry.get(b"path.utf-8")
    if isinstance(alt, list) and alt:
        try:
            return [_component(_text(p), f"{where}.path.utf-8") for p in alt]
        except (UnicodeDecodeError, TypeError):
            pass
    path = entry.get(b"path")
    if not isinstance(path, list) or not path:
        raise MetainfoError("missing or not a non-empty list", field=f"{where}.path")
    parts = []
    for j, part in enumerate(path):
        if not isinstance(part, bytes):
            raise MetainfoError("not a string", field=f"{where}.path[{j}]")
        parts.append(_component(_utf8(part, f"{where}.path[{j}]"), f"{where}.path[{j}]"))
    return parts


def _text(value: Value) -> str:
    if not isinstance(value, bytes):
        raise TypeError("not a string")
    return value.decode()


def _pieces(info: dict[bytes, Value], files: list[FileEntry], piece_length: int) -> bytes:
    pieces = info.get(b"pieces")
    if not isinstance(pieces, bytes) or len(pieces) % 20:
        raise MetainfoError("not a string of 20-byte SHA-1 hashes", field="info.pieces")
    expected = -(-sum(f.length for f in files) // piece_length)  # pad files count in v1
    if len(pieces) // 20 != expected:
        raise MetainfoError(
            f"{len(pieces) // 20} hashes for {expected} pieces of the files", field="info.pieces"
        )
    return pieces


def _v2_files(tree: Value | None, name: str, *, multi: bool = False) -> list[FileEntry]:
    """Flatten a BEP 52 file tree, depth first in key order, without recursion."""
    if not isinstance(tree, dict) or not tree:
        raise MetainfoError("missing or not a non-empty dict", field="info.file tree")
    # A single file at the root is a single-file torrent: its path is just the file name.
    only = next(iter(tree.values()))
    single = not multi and len(tree) == 1 and isinstance(only, dict) and b"" in only
    result: list[FileEntry] = []
    stack: list[tuple[Any, list[str]]] = [(iter(tree.items()), [])]
    while stack:
        items, prefix = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        raw_key, node = item
        where = "info.file tree/" + "/".join([*prefix, raw_key.decode("utf-8", "replace")])
        key = _component(_utf8(raw_key, where), where)
        if not isinstance(node, dict) or not node:
            raise MetainfoError("not a non-empty dict", field=where)
        if b"" not in node:  # a directory
            stack.append((iter(node.items()), [*prefix, key]))
            continue
        props = node[b""]
        if len(node) != 1 or not isinstance(props, dict):
            raise MetainfoError("a file entry must hold only the '' key with a dict", field=where)
        length = _length(props, f"{where}.length")
        root = props.get(b"pieces root")
        if length and (not isinstance(root, bytes) or len(root) != 32):
            raise MetainfoError("missing or not 32 bytes", field=f"{where}.pieces root")
        attr = _attr(props, f"{where}.attr")
        root_value = root if length and isinstance(root, bytes) else None
        parts = [*prefix, key] if single else [name, *prefix, key]
        result.append(FileEntry("/".join(parts), length, False, root_value, attr))
    return result


def _piece_layers(
    layers: Value | None, files: list[FileEntry], piece_length: int
) -> dict[bytes, bytes]:
    # BEP 52: for each file longer than a piece, the concatenated SHA-256 hashes of its pieces.
    # Optional here: a torrent rebuilt from magnet metadata has none until peers send them.
    if layers is None:
        return {}
    if not isinstance(layers, dict):
        raise MetainfoError("not a dict", field="piece layers")
    sizes = {f.pieces_root: f.length for f in files if f.pieces_root is not None}
    result = {}
    for root, hashes in layers.items():
        where = f"piece layers[{root.hex()[:16]}]"
        if len(root) != 32 or not isinstance(hashes, bytes) or not hashes or len(hashes) % 32:
            raise MetainfoError("key must be 32 bytes, value 32-byte hashes", field=where)
        length = sizes.get(root)
        if length is not None and len(hashes) != 32 * -(-length // piece_length):
            raise MetainfoError("wrong number of hashes for the file's length", field=where)
        result[root] = hashes
    return result


def _merge_hybrid(v1: list[FileEntry], v2: list[FileEntry]) -> list[FileEntry]:
    """Check that the v1 list (pad files aside) is the v2 tree; attach the v2 roots to it."""
    real = [f for f in v1 if not f.pad]
    if [(f.path, f.length) for f in real] != [(f.path, f.length) for f in v2]:
        raise MetainfoError(
            "hybrid torrent: the v1 file list does not match the v2 file tree", field="info.files"
        )
    roots = iter(v2)
    return [f if f.pad else replace(f, pieces_root=next(roots).pieces_root) for f in v1]


def _check_collisions(files: list[FileEntry]) -> None:
    # Two files at one path, or a file where another needs a directory, cannot both be written.
    # BEP 47 pad files are never written, and libtorrent reuses ".pad/<size>" names freely.
    paths: set[str] = set()
    directories: set[str] = set()
    for f in files:
        if f.pad:
            continue
        if f.path in paths or f.path in directories:
            raise MetainfoError(f"two entries for the path {f.path!r}", field="info.files")
        paths.add(f.path)
        parts = f.path.split("/")
        directories.update("/".join(parts[:i]) for i in range(1, len(parts)))
    if not paths.isdisjoint(directories):
        raise MetainfoError("a file path is also a directory", field="info.files")


def _url(raw: Value, field: str) -> str:
    if not isinstance(raw, bytes):
        raise MetainfoError("not a string", field=field)
    return raw.decode("utf-8", "replace").strip()


def _trackers(top: dict[bytes, Value]) -> tuple[tuple[str, ...], ...]:
    # BEP 12: announce-list, when present and non-empty, replaces announce.
    announce_list = top.get(b"announce-list")
    tiers: list[tuple[str, ...]] = []
    if announce_list is not None:
        if not isinstance(announce_list, list):
            raise MetainfoError("not a list of tiers", field="announce-list")
        for i, tier in enumerate(announce_list):
            if not isinstance(tier, list):
                raise MetainfoError("a tier must be a list of URLs", field=f"announce-list[{i}]")
            urls = [_url(u, f"announce-list[{i}]") for u in tier]
            urls = list(dict.fromkeys(u for u in urls if u))
            if urls:
                tiers.append(tuple(urls))
    if not tiers and b"announce" in top:
        url = _url(top[b"announce"], "announce")
        if url:
            tiers.append((url,))
    return tuple(tiers)


def _url_list(raw: Value | None) -> tuple[str, ...]:
    # BEP 19: a single URL or a list of them.
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, bytes) else raw
    if not isinstance(items, list):
        raise MetainfoError("not a string or a list of strings", field="url-list")
    urls = (_url(u, f"url-list[{i}]") for i, u in enumerate(items))
    return tuple(u for u in urls if u)


def _display(d: dict[bytes, Value], key: bytes, prefix: str = "") -> str | None:
    # Free text shown to people: prefer a `.utf-8` twin, replace undecodable bytes.
    raw = d.get(key + b".utf-8", d.get(key))
    if raw is None:
        return None
    if not isinstance(raw, bytes):
        raise MetainfoError("not a string", field=prefix + key.decode())
    return raw.decode("utf-8", "replace")
