"""The pure rules of torrent creation: piece size, layout and padding, hashing, the metainfo."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent import bencode
from torrentstack.bittorrent.create import (
    BLOCK_SIZE,
    CreateError,
    FileEntry,
    Metadata,
    PieceHasher,
    Segment,
    Version,
    assemble,
    auto_piece_length,
    check_piece_length,
    file_root,
    hash_pieces,
    merkle_root,
    plan_layout,
)

KIB = 1024
MIB = 1024 * KIB


def sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference_root(leaves: list[bytes], width: int) -> bytes:
    """The textbook merkle root: pad the leaves with zero hashes to `width`, then pair up."""
    layer = leaves + [bytes(32)] * (width - len(leaves))
    while len(layer) > 1:
        layer = [sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def next_pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


def blocks_of(data: bytes) -> list[bytes]:
    return [sha256(data[i : i + BLOCK_SIZE]) for i in range(0, len(data), BLOCK_SIZE)]


def stream_of(layout: Any, contents: list[bytes]) -> bytes:
    """The bytes the layout describes: files in order, zeros under pads."""
    out = bytearray()
    for seg in layout.segments:
        out += contents[seg.file] if seg.file is not None else bytes(seg.length)
    return bytes(out)


# --- piece size ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (1, 16 * KIB),
        (2_684_355, 16 * KIB),
        (2_684_356, 32 * KIB),
        (1024 * MIB, 512 * KIB),
        (10_995_116_278, 1 * MIB),
        (10_995_116_279, 2 * MIB),
        (703_687_441_777, 8 * MIB),
        (10**15, 16 * MIB),
    ],
)
def test_auto_piece_length_follows_libtorrent(total: int, expected: int) -> None:
    assert auto_piece_length(total) == expected


@pytest.mark.libtorrent
@pytest.mark.parametrize("total", [1, 2_684_356, 50_000_000, 3 * 1024 * MIB, 10**12, 10**13])
def test_auto_piece_length_is_libtorrents(total: int) -> None:
    lt = pytest.importorskip("libtorrent")
    for flags in (0, lt.create_torrent.v1_only, lt.create_torrent.v2_only):
        made = lt.create_torrent([lt.create_file_entry("f", total)], 0, flags)
        assert made.piece_length() == auto_piece_length(total)


@pytest.mark.parametrize("good", [16 * KIB, 32 * KIB, 4 * MIB, 128 * MIB])
def test_good_piece_lengths(good: int) -> None:
    assert check_piece_length(good) == good


@pytest.mark.parametrize("bad", [0, -16 * KIB, 1, 8 * KIB, 48 * KIB, 16 * KIB + 1, 256 * MIB])
def test_bad_piece_lengths(bad: int) -> None:
    with pytest.raises(CreateError, match="power of two") as info:
        check_piece_length(bad)
    assert info.value.value == bad


# --- layout -------------------------------------------------------------------------------------


def test_files_are_ordered_by_path_components() -> None:
    names = [("a.txt",), ("a", "x"), ("a b",), ("B",), ("é",), ("z",), ("a", "b", "c")]
    files = [FileEntry(n, 1) for n in names]
    layout = plan_layout("t", files, version="v1", piece_length=None, single_file=False)
    assert [f.path for f in layout.files] == [
        ("B",),
        ("a", "b", "c"),
        ("a", "x"),
        ("a b",),
        ("a.txt",),
        ("z",),
        ("é",),
    ]


def test_hybrid_pads_after_every_non_empty_file_the_last_included() -> None:
    files = [FileEntry(("a",), 20_000), FileEntry(("b",), 0), FileEntry(("c",), 5)]
    for version in ("hybrid", "v2"):
        layout = plan_layout("t", files, version=version, piece_length=16 * KIB, single_file=False)
        assert layout.segments == (
            Segment(0, 20_000, 0),
            Segment(20_000, 12_768, None),
            Segment(32_768, 0, 1),
            Segment(32_768, 5, 2),
            Segment(32_773, 16_379, None),
        )
        assert (layout.length, layout.num_pieces, layout.content_length) == (49_152, 3, 20_005)


def test_aligned_files_and_v1_get_no_pads() -> None:
    files = [FileEntry(("a",), 32 * KIB), FileEntry(("b",), 100)]
    hybrid = plan_layout("t", files, version="hybrid", piece_length=16 * KIB, single_file=False)
    assert [s.file for s in hybrid.segments] == [0, 1, None]
    v1 = plan_layout("t", files, version="v1", piece_length=16 * KIB, single_file=False)
    assert v1.segments == (Segment(0, 32 * KIB, 0), Segment(32 * KIB, 100, 1))


def test_single_file_is_never_padded() -> None:
    for version in ("v1", "v2", "hybrid"):
        layout = plan_layout(
            "f", [FileEntry(("f",), 100)], version=version, piece_length=None, single_file=True
        )
        assert layout.segments == (Segment(0, 100, 0),)
        assert layout.piece_length == 16 * KIB


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "no files"),
        ([FileEntry(("a",), 0), FileEntry(("b",), 0)], "every file is empty"),
        ([FileEntry(("a",), 1), FileEntry(("a",), 2)], "share a path"),
        ([FileEntry(("a",), 1), FileEntry(("a", "b"), 2)], "share a path"),
        ([FileEntry(("bad\udcff",), 1)], "UTF-8"),
    ],
)
def test_impossible_layouts(files: list[FileEntry], message: str) -> None:
    with pytest.raises(CreateError, match=message):
        plan_layout("t", files, version="hybrid", piece_length=None, single_file=False)


# --- hashing ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), extra=st.integers(0, 2), level=st.integers(0, 3))
def test_merkle_root_equals_the_textbook_tree(n: int, extra: int, level: int) -> None:
    leaves = [sha256(bytes([i])) for i in range(n)]
    width = next_pow2(n) << extra
    if level == 0:
        assert merkle_root(leaves, width) == reference_root(leaves, width)
    # leaves `level` layers up are padded with the root of an all-zero subtree that high
    zero = bytes(32)
    for _ in range(level):
        zero = sha256(zero + zero)
    layer = leaves + [zero] * (width - n)
    while len(layer) > 1:
        layer = [sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
    assert merkle_root(leaves, width, level) == layer[0]


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5 * BLOCK_SIZE + 10),
    cuts=st.lists(st.integers(0, 5 * BLOCK_SIZE + 10), max_size=8),
)
def test_piece_hasher_ignores_chunk_boundaries(data: bytes, cuts: list[int]) -> None:
    plen = 2 * BLOCK_SIZE
    hasher = PieceHasher(plen)
    edges = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    for lo, hi in itertools.pairwise(edges):
        hasher.update(data[lo:hi])
    expected = b"".join(sha1(data[i : i + plen]) for i in range(0, len(data), plen))
    assert hasher.digest() == expected


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(1, 9 * BLOCK_SIZE + 3),
    blocks_per_piece=st.sampled_from([1, 2, 4]),
    seed=st.integers(0, 255),
)
def test_v2_single_file_matches_bep52(length: int, blocks_per_piece: int, seed: int) -> None:
    plen = blocks_per_piece * BLOCK_SIZE
    data = bytes((seed + i * 7) % 251 for i in range(length))
    layout = plan_layout(
        "f", [FileEntry(("f",), length)], version="hybrid", piece_length=plen, single_file=True
    )
    pieces, roots = hash_pieces(layout, 0, data)
    leaves = blocks_of(data)
    # BEP 52: the file root is over every block, zero-padded to a power of two...
    assert file_root(roots, plen) == reference_root(leaves, next_pow2(len(leaves)))
    # ...and each piece-layer entry is the root of that piece's blocks, padded to a whole piece.
    if len(roots) > 1:
        for i, root in enumerate(roots):
            chunk = leaves[i * blocks_per_piece : (i + 1) * blocks_per_piece]
            assert root == reference_root(chunk, blocks_per_piece)
    hasher = PieceHasher(plen)
    hasher.update(data)
    assert pieces == hasher.digest()


def test_hash_pieces_from_the_middle_of_a_hybrid_stream() -> None:
    files = [FileEntry(("a",), 40_000), FileEntry(("b",), 3), FileEntry(("c",), 70_000)]
    contents = [bytes([i + 1]) * f.length for i, f in enumerate(files)]
    layout = plan_layout("t", files, version="hybrid", piece_length=32 * KIB, single_file=False)
    stream = stream_of(layout, contents)
    whole_pieces, whole_roots = hash_pieces(layout, 0, stream)
    tail_pieces, tail_roots = hash_pieces(layout, 3, stream[3 * 32 * KIB :])
    assert whole_pieces[3 * 20 :] == tail_pieces
    assert whole_roots[3:] == tail_roots
    assert whole_roots[2] == reference_root(blocks_of(b"\x02" * 3), 1)  # b: one short block


def test_v1_pieces_span_files() -> None:
    files = [FileEntry(("a",), 10_000), FileEntry(("b",), 30_000)]
    layout = plan_layout("t", files, version="v1", piece_length=16 * KIB, single_file=False)
    stream = b"a" * 10_000 + b"b" * 30_000
    pieces, roots = hash_pieces(layout, 0, stream)
    assert roots == []
    assert pieces == b"".join(sha1(stream[i : i + 16 * KIB]) for i in range(0, 40_000, 16 * KIB))


# --- the metainfo -------------------------------------------------------------------------------


def make(version: Version, files: list[FileEntry], meta: Metadata | None = None, *, single=False):
    name = files[0].path[0] if single else "t"
    layout = plan_layout(name, files, version=version, piece_length=16 * KIB, single_file=single)
    contents = [bytes([65 + i]) * f.length for i, f in enumerate(files)]
    pieces, roots = hash_pieces(layout, 0, stream_of(layout, contents))
    raw = assemble(layout, pieces, roots, meta or Metadata())
    value = bencode.decode(raw)  # strict: keys sorted, canonical
    assert isinstance(value, dict)
    return value


FILES = [
    FileEntry(("big",), 40_000, executable=True),
    FileEntry(("dir", "empty"), 0),
    FileEntry(("dir", "small"), 10, hidden=True),
]


def test_hybrid_info_dict() -> None:
    value = make("hybrid", FILES)
    info = value[b"info"]
    assert sorted(info) == [
        b"file tree",
        b"files",
        b"meta version",
        b"name",
        b"piece length",
        b"pieces",
    ]
    assert info[b"files"] == [
        {b"attr": b"x", b"length": 40_000, b"path": [b"big"]},
        {b"attr": b"p", b"length": 9_152, b"path": [b".pad", b"9152"]},
        {b"length": 0, b"path": [b"dir", b"empty"]},
        {b"attr": b"h", b"length": 10, b"path": [b"dir", b"small"]},
        {b"attr": b"p", b"length": 16_374, b"path": [b".pad", b"16374"]},
    ]
    tree = info[b"file tree"]
    assert tree[b"dir"][b"empty"] == {b"": {b"length": 0}}  # BEP 52: no root for empty files
    assert tree[b"big"][b""][b"attr"] == b"x"
    big_root = tree[b"big"][b""][b"pieces root"]
    small_root = tree[b"dir"][b"small"][b""][b"pieces root"]
    # only files longer than one piece have a piece layer
    assert list(value[b"piece layers"]) == [big_root]
    assert len(value[b"piece layers"][big_root]) == 3 * 32
    assert small_root == sha256(b"C" * 10)  # one block: the root is its hash


def test_v1_and_v2_info_dicts() -> None:
    v1 = make("v1", FILES)
    assert sorted(v1) == [b"info"]
    assert b"file tree" not in v1[b"info"]
    assert [f[b"length"] for f in v1[b"info"][b"files"]] == [40_000, 0, 10]
    v2 = make("v2", FILES)
    assert sorted(v2[b"info"]) == [b"file tree", b"meta version", b"name", b"piece length"]
    assert b"piece layers" in v2


def test_single_file_info_dict() -> None:
    only = [FileEntry(("movie.mkv",), 20_000, executable=True)]
    hybrid = make("hybrid", only, single=True)[b"info"]
    assert hybrid[b"length"] == 20_000
    assert hybrid[b"attr"] == b"x"
    assert list(hybrid[b"file tree"]) == [b"movie.mkv"]
    assert hybrid[b"name"] == b"movie.mkv"
    assert b"attr" not in make("v2", only, single=True)[b"info"]


def test_metadata_fields() -> None:
    meta = Metadata(
        trackers=(("http://a/ann",), ("http://b/ann", "udp://c:1/ann")),
        web_seeds=("http://w1/", "http://w2/"),
        private=True,
        comment="hi",
        source="SRC",
        created_by="me",
        creation_date=123,
    )
    value = make("hybrid", FILES, meta)
    assert value[b"announce"] == b"http://a/ann"
    assert value[b"announce-list"] == [[b"http://a/ann"], [b"http://b/ann", b"udp://c:1/ann"]]
    assert value[b"url-list"] == [b"http://w1/", b"http://w2/"]
    assert (value[b"comment"], value[b"created by"], value[b"creation date"]) == (b"hi", b"me", 123)
    assert (value[b"info"][b"private"], value[b"info"][b"source"]) == (1, b"SRC")
    lone = make("v1", FILES, Metadata(trackers=(("http://a/ann",),), web_seeds=("http://w/",)))
    assert b"announce-list" not in lone
    assert lone[b"url-list"] == b"http://w/"
    assert not {b"comment", b"created by", b"creation date"} & set(make("v1", FILES))
