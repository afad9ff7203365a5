"""The site's .torrent files: an upload validated, made private and stored; a download built.

Pure. Validation is `bittorrent.metainfo.parse`, plus what libtorrent refuses with its default
limits, so that every member's client loads what the site accepts. Decisions:

- `info.private` is forced to 1 (BEP 27); the info dict is re-encoded only when that (or a
  `source` tag) changes it or when it is not canonical bencode (unsorted keys), so an already
  private, canonical torrent keeps its info bytes and its hash.
- `info_hash` is the v1 SHA-1 if there is one, else the v2 SHA-256 truncated to 20 bytes: what
  clients send to trackers and peers for a v2-only torrent (BEP 52). libtorrent announces a
  hybrid under both its v1 and its truncated v2 hash: `Prepared.tracker_hashes`.
- Only info and the BEP 52 piece layers are kept (comment, creator and date as values). Dropped:
  `announce`, `announce-list` (the site serves its own) and web seeds (`url-list`, `httpseeds`:
  every member's client would fetch from a host the uploader runs, leaking their addresses and
  bypassing the ratio accounting), `nodes` and the rest.
- A download has one tier, HTTP then UDP: clients announce to one working tracker per tier, so a
  transfer is reported once; with a tier per URL, qBittorrent (announcing to all tiers by
  default) would report it twice.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from torrentstack.bittorrent import magnet as magnets
from torrentstack.bittorrent.bencode import Encodable, Value, encode
from torrentstack.bittorrent.create import file_root
from torrentstack.bittorrent.infohash import InfoHash
from torrentstack.bittorrent.metainfo import Metainfo, parse
from torrentstack.errors import FormatError, TorrentstackError

__all__ = [
    "FileEntry",
    "InvalidTorrent",
    "Prepared",
    "announce_urls",
    "content_signature",
    "magnet_link",
    "prepare_upload",
    "torrent_file",
]

# libtorrent's default load limits (load_torrent_limits) and what it refuses beyond them, so that
# every member's client loads what the site accepts.
MAX_PIECES = 0x200000  # "too many pieces in torrent"
MAX_DEPTH = 99  # containers, the top-level dict included: 100 is "nesting depth exceeded"
MAX_TOKENS = 2_000_000  # in info; libtorrent stops at 3,000,000 for the whole file
MAX_LENGTH = 1 << 43  # 8 TiB of content and padding; libtorrent refuses 16 TiB as invalid
MIN_PIECE_LENGTH = 16 * 1024  # BEP 52's minimum, and libtorrent's for the torrents it creates
MAX_PIECE_LENGTH = 256 * 1024 * 1024  # libtorrent refuses larger pieces when loading
PASSKEY_LENGTH = 32  # the tracker takes keys of 32 ASCII letters and digits only
_SIGNATURE_TAG = b"torrentstack content signature 1"


class InvalidTorrent(TorrentstackError):
    """An upload that is not a usable v1, v2 or hybrid .torrent; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A real file (no BEP 47 pad): its "/"-separated path under the root folder, if any."""

    path: str
    length: int


@dataclass(frozen=True, slots=True)
class Prepared:
    """An accepted upload: the info dict as stored, and what the site shows and indexes."""

    info: bytes = field(repr=False)  # the exact info dict bytes; the info hashes are theirs
    info_hash: str  # 40 hex: v1, or v2 truncated to 20 bytes for a v2-only torrent
    info_hash_v2: str | None  # 64 hex, the full SHA-256, for v2 and hybrid torrents
    name: str
    size: int  # bytes in real files, pads excluded
    files: tuple[FileEntry, ...] = field(repr=False)
    piece_length: int
    content_signature: str  # 64 hex; see `content_signature`
    comment: str | None
    created_by: str | None
    creation_date: int | None
    piece_layers: bytes | None = field(default=None, repr=False)  # bencoded BEP 52 dict, if any
    reencoded: bool = False  # the info dict changed: the uploader must seed the site's file

    @property
    def tracker_hashes(self) -> tuple[str, ...]:
        """Return the 40-hex hashes clients announce it under: v1 and truncated v2 for a hybrid."""
        if self.info_hash_v2 is None or self.info_hash_v2[:40] == self.info_hash:
            return (self.info_hash,)
        return (self.info_hash, self.info_hash_v2[:40])


def prepare_upload(data: bytes, *, max_bytes: int, source: str | None = None) -> Prepared:
    """Validate an uploaded .torrent, make it private and return what the site stores.

    `source`, when given, is written to `info.source` (a site tag, so the same content from
    another tracker gets another info hash). Raise InvalidTorrent for anything unusable.
    """
    if len(data) > max_bytes:
        raise InvalidTorrent(f"the file is larger than {max_bytes} bytes")
    try:
        meta = parse(bytes(data))
    except FormatError as exc:
        raise InvalidTorrent(f"not a valid torrent file: {exc}") from None
    _check_limits(meta)
    info = meta.info
    wanted: dict[bytes, Value] = {b"private": 1}
    if source:
        wanted[b"source"] = source.encode()
    info_bytes = meta.info_bytes
    reencoded = any(info.get(k) != v for k, v in wanted.items()) or encode(info) != info_bytes
    if reencoded:
        info_bytes = encode({**info, **wanted})
    v1 = InfoHash.v1_of(info_bytes).hex if meta.has_v1 else None
    v2 = InfoHash.v2_of(info_bytes).hex if meta.has_v2 else None
    files = tuple(
        FileEntry(f.path.partition("/")[2] or f.path, f.length) for f in meta.files if not f.pad
    )
    return Prepared(
        info=info_bytes,
        info_hash=v1 if v1 is not None else str(v2)[:40],
        info_hash_v2=v2,
        name=meta.name,
        size=meta.total_size,
        files=files,
        piece_length=meta.piece_length,
        content_signature=content_signature(files),
        comment=meta.comment,
        created_by=meta.created_by,
        creation_date=meta.creation_date,
        piece_layers=_piece_layers(meta),
        reencoded=reencoded,
    )


def content_signature(files: Sequence[FileEntry]) -> str:
    """Return a hash of the sorted (path, length) pairs: the same for the same content.

    Paths are taken under the torrent's root, so the root folder's name does not count: cross-seed
    siblings often rename it, and a lone file in a folder signs like the same file bare. Piece
    length, version, pads, `source` and the private flag never enter. Names are NFC-normalised
    (macOS writes NFD). A single file's name does count: without it every torrent of one file
    of a given size would look alike.
    """
    pairs = sorted((unicodedata.normalize("NFC", f.path).encode(), f.length) for f in files)
    payload = encode([_SIGNATURE_TAG, [[path, length] for path, length in pairs]])
    return hashlib.sha256(payload).hexdigest()


def torrent_file(
    prepared_info: bytes,
    *,
    announce_urls: Sequence[str],
    comment: str | None = None,
    created_by: str | None = None,
    creation_date: int | None = None,
    piece_layers: bytes | None = None,
) -> bytes:
    """Return the .torrent a member downloads: the stored info (and piece layers) byte for byte.

    `announce` is the first URL; `announce-list` is a single tier of all of them, in order.
    """
    urls = list(announce_urls)
    if not urls:
        raise ValueError("a torrent needs at least one announce URL")
    if prepared_info[:1] != b"d" or prepared_info[-1:] != b"e":
        raise ValueError("prepared_info must be a bencoded dict (Prepared.info)")
    fields: dict[bytes, Encodable] = {b"announce": urls[0]}
    if len(urls) > 1:
        fields[b"announce-list"] = [urls]
    if comment:
        fields[b"comment"] = comment
    if created_by:
        fields[b"created by"] = created_by
    if creation_date is not None:
        fields[b"creation date"] = creation_date
    raw = {b"info": prepared_info}
    if piece_layers:
        raw[b"piece layers"] = piece_layers
    return _encode_around(fields, raw)


def announce_urls(passkey: str, *, http_base: str, udp_base: str | None) -> list[str]:
    """Return a member's announce URLs: HTTP, then UDP when the tracker listens for it.

    `http_base` is `http(s)://HOST:PORT`, `udp_base` is `udp://HOST:PORT` (a path prefix is kept).
    Both get `/announce/PASSKEY`: the HTTP tracker reads the key from that path, and a UDP client
    sends the path as BEP 41 URL data, from which the tracker reads `/announce/KEY` the same way.
    """
    if len(passkey) != PASSKEY_LENGTH or not passkey.isascii() or not passkey.isalnum():
        raise ValueError(f"a passkey is {PASSKEY_LENGTH} ASCII letters and digits")
    urls = [_base(http_base, ("http", "https")) + "/announce/" + passkey]
    if udp_base is not None:
        urls.append(_base(udp_base, ("udp",)) + "/announce/" + passkey)
    return urls


def magnet_link(
    info_hash: str,
    name: str,
    size: int,
    trackers: Sequence[str] = (),
    *,
    info_hash_v2: str | None = None,
) -> str:
    """Return a magnet URI: `btih` for a v1 hash, `btmh` (BEP 9) when the v2 hash is given.

    For a v2-only torrent (`info_hash` is the truncated v2 hash) only `btmh` is written: a
    truncated hash in `btih` would make clients check the metadata against the wrong digest.
    """
    v1 = InfoHash.from_hex(info_hash)
    v2 = InfoHash.from_hex(info_hash_v2) if info_hash_v2 is not None else None
    v2_only = v2 is not None and v2.truncated == v1.digest
    link = magnets.Magnet(None if v2_only else v1, v2, name, tuple(trackers), length=size)
    return magnets.format(link)


def _check_limits(meta: Metainfo) -> None:
    plen = meta.piece_length
    if not MIN_PIECE_LENGTH <= plen <= MAX_PIECE_LENGTH or plen & (plen - 1):
        raise InvalidTorrent(f"piece length {plen} is not a power of two from 16 KiB to 256 MiB")
    for text in {meta.name, *(part for f in meta.files for part in f.path.split("/"))}:
        if all(unicodedata.category(c) == "Cf" for c in text):  # libtorrent strips these
            raise InvalidTorrent(f"the name {text!r} is made of invisible characters only")
    if meta.total_size == 0:
        raise InvalidTorrent("the torrent holds no data: every file is empty")
    if meta.pieces_count > MAX_PIECES:
        raise InvalidTorrent(f"{meta.pieces_count} pieces; at most {MAX_PIECES} are allowed")
    if sum(f.length for f in meta.files) > MAX_LENGTH:
        raise InvalidTorrent(f"the content is larger than {MAX_LENGTH} bytes")
    depth, tokens = _shape(meta.info)
    if depth >= MAX_DEPTH:  # the top-level dict holds info: one more level
        raise InvalidTorrent(f"the info dict is nested deeper than {MAX_DEPTH - 1} levels")
    if tokens > MAX_TOKENS:
        raise InvalidTorrent(f"the info dict has more than {MAX_TOKENS} values")
    _check_versions(meta)
    _check_files(meta)
    if meta.has_v2:
        _check_piece_layers(meta)


def _check_versions(meta: Metainfo) -> None:
    # libtorrent refuses keys of a version the torrent does not declare, and a hybrid whose v1
    # list is not its v2 files laid out as libtorrent does: a BEP 47 pad after every non-empty
    # file unless there is only one (the last file's pad may be left out).
    info = meta.info
    if not meta.has_v2 and b"file tree" in info:
        raise InvalidTorrent("a BEP 52 file tree without meta version 2")
    if not meta.has_v1 and (b"files" in info or b"length" in info):
        raise InvalidTorrent("a v1 file list without v1 piece hashes")
    if not (meta.has_v1 and meta.has_v2):
        return
    real = [f for f in meta.files if not f.pad]
    expected: list[tuple[bool, int]] = []
    offset = 0
    for f in real:
        offset += f.length
        pad = -offset % meta.piece_length if len(real) > 1 else 0
        expected += [(False, f.length), (True, pad)] if pad else [(False, f.length)]
        offset += pad
    found = [(f.pad, f.length) for f in meta.files]
    if found != expected and found != expected[: len(expected) - expected[-1][0]]:
        raise InvalidTorrent("hybrid: the v1 files are not the v2 files padded to whole pieces")


def _check_files(meta: Metainfo) -> None:
    # libtorrent refuses a symlink without its target and a pad in a v2 tree (BEP 47 attrs l
    # and p), and uses a `path.utf-8` list in preference to `path`, even an empty one.
    if any("l" in f.attr for f in meta.files):
        raise InvalidTorrent("symlinks (BEP 47 attr l) are not allowed")
    entries = meta.info.get(b"files")
    for entry in entries if isinstance(entries, list) else ():
        alt = entry.get(b"path.utf-8") if isinstance(entry, dict) else None
        if isinstance(alt, list) and not (alt and all(isinstance(p, bytes) for p in alt)):
            raise InvalidTorrent("info.files: a path.utf-8 that is not a list of names")
    tree = meta.info.get(b"file tree")
    stack = [tree] if isinstance(tree, dict) else []
    while stack:
        for key, child in stack.pop().items():
            if key and isinstance(child, dict):
                stack.append(child)
            attr = child.get(b"attr") if isinstance(child, dict) and not key else None
            if isinstance(attr, bytes) and (b"p" in attr or b"l" in attr):
                raise InvalidTorrent("info.file tree: pad and symlink attributes are not allowed")


def _check_piece_layers(meta: Metainfo) -> None:
    # BEP 52: every file longer than a piece has its layer, whose merkle root is the file's
    # `pieces root`; libtorrent refuses a torrent with a layer that does not add up.
    plen = meta.piece_length
    for f in meta.files:
        if f.pieces_root is None or f.length <= plen:
            continue
        layer = meta.piece_layers.get(f.pieces_root)
        if layer is None:
            raise InvalidTorrent(f"piece layers: none for {f.path!r} (BEP 52)")
        hashes = [layer[i : i + 32] for i in range(0, len(layer), 32)]
        if file_root(hashes, plen) != f.pieces_root:
            raise InvalidTorrent(f"piece layers: the layer of {f.path!r} does not match its root")


def _shape(value: Value) -> tuple[int, int]:
    """Return the container nesting depth of `value` and its token count (keys and ends too)."""
    depth = tokens = 0
    stack: list[tuple[Value, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        tokens += 1
        if isinstance(item, dict):
            tokens += 1 + len(item)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            tokens += 1
            stack.extend((v, level + 1) for v in item)
        else:
            continue
        depth = max(depth, level)
    return depth, tokens


def _piece_layers(meta: Metainfo) -> bytes | None:
    # Only the layers of files in this torrent: a stray entry is dead weight in every download.
    roots = {f.pieces_root for f in meta.files if f.pieces_root is not None}
    layers = {root: h for root, h in meta.piece_layers.items() if root in roots}
    return encode(layers) if layers else None


def _encode_around(fields: Mapping[bytes, Encodable], raw: Mapping[bytes, bytes]) -> bytes:
    """Bencode a dict whose `raw` values are already bencoded, inserting them unchanged."""
    out = [b"d"]
    for key in sorted({*fields, *raw}):
        out.append(b"%d:%s" % (len(key), key))
        out.append(raw[key] if key in raw else encode(fields[key]))
    out.append(b"e")
    return b"".join(out)


def _base(url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not a {'/'.join(schemes)}://HOST[:PORT] tracker base URL")
    return url.rstrip("/")
