"""Metainfo parsing: real v1/v2/hybrid torrents against libtorrent's view, validation, fuzzing."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent.bencode import BencodeError, decode, encode
from torrentstack.bittorrent.metainfo import FileEntry, Metainfo, MetainfoError, parse
from torrentstack.errors import FormatError

from .sample_torrents import expected, torrent_bytes, torrent_names

# --- real torrents made by libtorrent (tests/data/make_torrents.py) ---------------------------


@pytest.mark.parametrize("name", torrent_names())
def test_matches_libtorrent(name: str) -> None:
    want = expected()[name]
    m = parse(torrent_bytes(name))
    assert (m.info_hash_v1.hex if m.info_hash_v1 else None) == want["v1"]
    assert (m.info_hash_v2.hex if m.info_hash_v2 else None) == want["v2"]
    assert m.name == want["name"]
    assert m.piece_length == want["piece_length"]
    assert m.pieces_count == want["num_pieces"]
    assert m.private == want["private"]
    # libtorrent shows v2 alignment as pad files even for v2-only torrents: compare real files.
    real = [(f["path"], f["size"]) for f in want["files"] if not f["pad"]]
    assert [(f.path, f.length) for f in m.files if not f.pad] == real
    assert m.total_size == want["total_size"]
    assert [list(tier) for tier in m.trackers] == want["trackers"]
    assert list(m.url_list) == want["web_seeds"]
    assert (m.comment or "") == want["comment"]
    assert (m.created_by or "") == want["creator"]
    assert (m.creation_date or 0) == want["creation_date"]  # libtorrent says 0 for none
    assert m.meta_version == (2 if want["v2"] else 1)


@pytest.mark.libtorrent
@pytest.mark.parametrize("name", torrent_names())
def test_libtorrent_agrees_live(name: str) -> None:
    lt = pytest.importorskip("libtorrent")
    data = torrent_bytes(name)
    hashes = lt.torrent_info(data).info_hashes()
    m = parse(data)
    assert m.has_v1 == hashes.has_v1()
    assert m.has_v2 == hashes.has_v2()
    if m.info_hash_v1 is not None:
        assert m.info_hash_v1.digest == hashes.v1.to_bytes()
    if m.info_hash_v2 is not None:
        assert m.info_hash_v2.digest == hashes.v2.to_bytes()


def test_hybrid_keeps_pad_files_and_attaches_v2_roots() -> None:
    m = parse(torrent_bytes("hybrid-multi.torrent"))
    assert m.is_hybrid
    pads = [f for f in m.files if f.pad]
    assert pads
    assert all(f.attr == "p" and f.pieces_root is None for f in pads)
    assert all(f.path.startswith("hybrid multi/.pad/") for f in pads)
    real = [f for f in m.files if not f.pad]
    assert all(f.pieces_root is not None and len(f.pieces_root) == 32 for f in real)
    assert m.total_size == sum(f.length for f in real)
    assert len(m.pieces) == 20 * m.pieces_count
    assert m.info_hash == m.info_hash_v1


def test_v2_file_tree_roots_and_piece_layers() -> None:
    m = parse(torrent_bytes("v2-multi.torrent"))
    assert (m.has_v1, m.has_v2, m.is_hybrid) == (False, True, False)
    assert m.info_hash == m.info_hash_v2
    assert m.pieces == b""
    by_path = {f.path: f for f in m.files}
    assert by_path["v2 multi/docs/empty.txt"] == FileEntry("v2 multi/docs/empty.txt", 0)
    big = by_path["v2 multi/big.bin"]
    assert big.pieces_root is not None
    assert len(m.piece_layers[big.pieces_root]) == 32 * 3  # 40,000 bytes in 16 KiB pieces
    assert [f.path for f in m.files] == sorted(f.path for f in m.files)  # tree order


def test_single_file_paths_are_just_the_name() -> None:
    for name in ("v1-single.torrent", "v2-single.torrent", "hybrid-single.torrent"):
        m = parse(torrent_bytes(name))
        assert [f.path for f in m.files] == [m.name]


def test_non_canonical_info_is_hashed_from_the_raw_bytes() -> None:
    data = torrent_bytes("unsorted-info.torrent")
    with pytest.raises(BencodeError, match="out of order"):
        decode(data)
    m = parse(data)
    start = data.index(b"4:infod") + 6
    raw_info = data[start:-1]
    assert m.info_bytes == raw_info
    assert m.info_hash_v1 is not None
    assert m.info_hash_v1.digest == hashlib.sha1(raw_info, usedforsecurity=False).digest()
    assert m.info_hash_v1.digest != hashlib.sha1(encode(m.info), usedforsecurity=False).digest()


def test_private_and_source() -> None:
    m = parse(torrent_bytes("private.torrent"))
    assert m.private is True
    assert m.source == "TSTACK"
    assert parse(torrent_bytes("v1-multi.torrent")).private is False


def test_to_dict_is_json_ready_and_skips_pad_files() -> None:
    m = parse(torrent_bytes("hybrid-multi.torrent"))
    d = m.to_dict()
    assert list(d) == [
        "name",
        "info_hash_v1",
        "info_hash_v2",
        "piece_length",
        "private",
        "trackers",
        "files",
        "total_size",
        "comment",
        "created_by",
        "creation_date",
        "source",
        "url_list",
        "meta_version",
    ]
    assert json.loads(json.dumps(d)) == d
    assert d["info_hash_v1"] == expected()["hybrid-multi.torrent"]["v1"]
    assert d["files"] == [{"path": f.path, "length": f.length} for f in m.files if not f.pad]
    assert d["trackers"] == [list(tier) for tier in m.trackers]


def test_metainfo_is_a_frozen_value() -> None:
    m = parse(torrent_bytes("v1-single.torrent"))
    assert m == parse(torrent_bytes("v1-single.torrent"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "x"  # type: ignore[misc]
    assert "pieces=" not in repr(m)


# --- hand-built torrents ----------------------------------------------------------------------


def _v1(top: dict[bytes, Any] | None = None) -> dict[bytes, Any]:
    info = {
        b"files": [{b"length": 20_000, b"path": [b"a.bin"]}, {b"length": 5, b"path": [b"s", b"b"]}],
        b"name": b"pack",
        b"piece length": 16_384,
        b"pieces": b"\x01" * 40,
    }
    return {b"announce": b"http://t.example/a", b"info": info, **(top or {})}


def _v2() -> dict[bytes, Any]:
    tree = {
        b"a.bin": {b"": {b"length": 20_000, b"pieces root": b"\x02" * 32}},
        b"s": {b"b": {b"": {b"length": 5, b"pieces root": b"\x03" * 32}}},
    }
    info = {b"file tree": tree, b"meta version": 2, b"name": b"pack", b"piece length": 16_384}
    return {b"info": info, b"piece layers": {b"\x02" * 32: b"\x04" * 64}}


def _hybrid() -> dict[bytes, Any]:
    torrent = _v2()
    torrent[b"info"][b"files"] = [
        {b"length": 20_000, b"path": [b"a.bin"]},
        {b"attr": b"p", b"length": 12_768, b"path": [b".pad", b"12768"]},
        {b"length": 5, b"path": [b"s", b"b"]},
    ]
    torrent[b"info"][b"pieces"] = b"\x01" * 60
    return torrent


def test_hand_built_torrents_parse() -> None:
    v1 = parse(encode(_v1()))
    assert [(f.path, f.length) for f in v1.files] == [("pack/a.bin", 20_000), ("pack/s/b", 5)]
    assert v1.trackers == (("http://t.example/a",),)
    v2 = parse(encode(_v2()))
    assert [(f.path, f.length) for f in v2.files] == [("pack/a.bin", 20_000), ("pack/s/b", 5)]
    assert v2.pieces_count == 3
    hybrid = parse(encode(_hybrid()))
    assert hybrid.is_hybrid
    assert (hybrid.total_size, len(hybrid.files)) == (20_005, 3)


def _set(path: list[Any], value: Any, base: Any = _v1) -> Any:
    def change() -> dict[bytes, Any]:
        torrent: dict[bytes, Any] = copy.deepcopy(base())
        node = torrent
        for key in path[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return torrent

    return change


_DELETE = object()
INFO = b"info"
TREE = b"file tree"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (_set([INFO], _DELETE), "info"),
        (_set([INFO], b"not a dict"), "info"),
        (_set([INFO, b"name"], _DELETE), "info.name"),
        (_set([INFO, b"name"], 7), "info.name"),
        (_set([INFO, b"name"], b""), "info.name"),
        (_set([INFO, b"name"], b".."), "info.name"),
        (_set([INFO, b"name"], b"a/b"), "info.name"),
        (_set([INFO, b"name"], b"\xff\xfe"), "info.name"),
        (_set([INFO, b"piece length"], _DELETE), "info.piece length"),
        (_set([INFO, b"piece length"], 0), "info.piece length"),
        (_set([INFO, b"piece length"], -16_384), "info.piece length"),
        (_set([INFO, b"piece length"], b"16384"), "info.piece length"),
        (_set([INFO, b"pieces"], _DELETE), "info.pieces"),
        (_set([INFO, b"pieces"], b"\x01" * 39), "info.pieces"),
        (_set([INFO, b"pieces"], b"\x01" * 20), "info.pieces"),
        (_set([INFO, b"pieces"], b"\x01" * 60), "info.pieces"),
        (_set([INFO, b"files"], []), "info.files"),
        (_set([INFO, b"files"], b"x"), "info.files"),
        (_set([INFO, b"length"], 5), "info.files"),
        (_set([INFO, b"files", 0], b"x"), "info.files[0]"),
        (_set([INFO, b"files", 0, b"length"], -1), "info.files[0].length"),
        (_set([INFO, b"files", 0, b"length"], _DELETE), "info.files[0].length"),
        (_set([INFO, b"files", 1, b"path"], []), "info.files[1].path"),
        (_set([INFO, b"files", 1, b"path"], [b"..", b"etc", b"passwd"]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"path"], [b"s", b"."]), "info.files[1].path[1]"),
        (_set([INFO, b"files", 1, b"path"], [b"s", b""]), "info.files[1].path[1]"),
        (_set([INFO, b"files", 1, b"path"], [b"../../x"]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"path"], [b"..\\..\\x"]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"path"], [b"a\x00b"]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"path"], [b"\xff"]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"path"], [1]), "info.files[1].path[0]"),
        (_set([INFO, b"files", 1, b"attr"], 1), "info.files[1].attr"),
        (_set([INFO, b"private"], b"1"), "info.private"),
        (_set([b"creation date"], b"2024"), "creation date"),
        (_set([b"announce"], 1), "announce"),
        (_set([b"announce-list"], b"x"), "announce-list"),
        (_set([b"announce-list"], [b"http://a"]), "announce-list[0]"),
        (_set([b"announce-list"], [[1]]), "announce-list[0]"),
        (_set([b"url-list"], 1), "url-list"),
        (_set([b"url-list"], [1]), "url-list[0]"),
        (_set([b"comment"], 1), "comment"),
        (_set([INFO, b"source"], []), "info.source"),
        (_set([INFO, b"meta version"], 3, _v2), "info.meta version"),
        (_set([INFO, b"meta version"], b"2", _v2), "info.meta version"),
        (_set([INFO, TREE], _DELETE, _v2), "info.file tree"),
        (_set([INFO, TREE], {}, _v2), "info.file tree"),
        (_set([INFO, b"piece length"], 8_192, _v2), "info.piece length"),
        (_set([INFO, b"piece length"], 3 * 16_384, _v2), "info.piece length"),
        (_set([INFO, TREE, b"a.bin"], b"x", _v2), "info.file tree/a.bin"),
        (_set([INFO, TREE, b"s"], {}, _v2), "info.file tree/s"),
        (_set([INFO, TREE, b".."], {b"": {b"length": 0}}, _v2), "info.file tree/.."),
        (_set([INFO, TREE, b"a\\b"], {b"": {b"length": 0}}, _v2), "info.file tree/a\\b"),
        (_set([INFO, TREE, b"s", b"b", b"x"], {}, _v2), "info.file tree/s/b"),
        (_set([INFO, TREE, b"s", b"b", b""], 5, _v2), "info.file tree/s/b"),
        (_set([INFO, TREE, b"s", b"b", b"", b"length"], -5, _v2), "info.file tree/s/b.length"),
        (
            _set([INFO, TREE, b"a.bin", b"", b"pieces root"], b"x" * 31, _v2),
            "info.file tree/a.bin.pieces root",
        ),
        (
            _set([INFO, TREE, b"a.bin", b"", b"pieces root"], _DELETE, _v2),
            "info.file tree/a.bin.pieces root",
        ),
        (_set([b"piece layers"], b"x", _v2), "piece layers"),
        (
            _set([b"piece layers", b"\x02" * 32], b"\x04" * 32, _v2),
            "piece layers[0202020202020202]",
        ),
        (
            _set([b"piece layers", b"\x02" * 32], b"\x04" * 65, _v2),
            "piece layers[0202020202020202]",
        ),
        (
            _set([b"piece layers", b"\x02" * 31], b"\x04" * 64, _v2),
            "piece layers[0202020202020202]",
        ),
        (_set([INFO, b"files", 0, b"path"], [b"b.bin"], _hybrid), "info.files"),
        (_set([INFO, b"files", 2, b"length"], 6, _hybrid), "info.files"),
        (_set([INFO, b"files", 1], {b"length": 12_768, b"path": [b"p"]}, _hybrid), "info.files"),
        (_set([INFO, b"files", 1, b"length"], 1, _hybrid), "info.pieces"),
        (_set([INFO, b"files", 1, b"path"], [b"a.bin"]), "info.files"),
        (_set([INFO, b"files", 1, b"path"], [b"a.bin", b"x"]), "info.files"),
        (_set([INFO, b"files", 0, b"path"], [b"s"]), "info.files"),
    ],
)
def test_validation_errors_name_the_field(make: Any, field: str) -> None:
    with pytest.raises(MetainfoError) as info:
        parse(encode(make()))
    assert info.value.field == field
    assert str(info.value).startswith(field + ": ")
    assert isinstance(info.value, FormatError)


@pytest.mark.parametrize("data", [b"", b"le", b"i1e", b"d4:infodee1", b"not bencode"])
def test_non_torrents_raise_bencode_error(data: bytes) -> None:
    with pytest.raises(BencodeError):
        parse(data)


def test_utf8_twins_are_preferred() -> None:
    torrent = _v1()
    torrent[INFO][b"name"] = b"caf\xe9"  # latin-1, not UTF-8: would be an error on its own
    torrent[INFO][b"name.utf-8"] = "café".encode()
    torrent[INFO][b"files"][1][b"path.utf-8"] = ["répertoire".encode(), "é".encode()]
    torrent[b"comment"] = b"latin-1 \xe9"
    m = parse(encode(torrent))
    assert m.name == "café"
    assert m.files[1].path == "café/répertoire/é"
    assert m.comment == "latin-1 \ufffd"  # free text: undecodable bytes are replaced
    torrent[b"comment.utf-8"] = "vérifié".encode()
    assert parse(encode(torrent)).comment == "vérifié"


def test_unsafe_utf8_twin_is_still_rejected() -> None:
    torrent = _v1()
    torrent[INFO][b"files"][1][b"path.utf-8"] = [b"..", b"x"]
    with pytest.raises(MetainfoError, match="unsafe"):
        parse(encode(torrent))


@pytest.mark.parametrize(
    ("top", "trackers"),
    [
        ({}, (("http://t.example/a",),)),
        ({b"announce-list": []}, (("http://t.example/a",),)),
        ({b"announce-list": [[], [b""]]}, (("http://t.example/a",),)),
        (
            {b"announce-list": [[b"udp://x:1", b"udp://x:1"], [b"http://y"]]},
            (("udp://x:1",), ("http://y",)),
        ),
        ({b"announce": b""}, ()),
    ],
)
def test_tracker_tiers(top: dict[bytes, Any], trackers: tuple[tuple[str, ...], ...]) -> None:
    assert parse(encode(_v1(top))).trackers == trackers


def test_url_list_forms() -> None:
    assert parse(encode(_v1({b"url-list": b"http://seed/"}))).url_list == ("http://seed/",)
    assert parse(encode(_v1({b"url-list": b""}))).url_list == ()
    assert parse(encode(_v1({b"url-list": [b"http://a/", b"", b"http://b/"]}))).url_list == (
        "http://a/",
        "http://b/",
    )


def test_single_file_v1_and_executable_attr() -> None:
    torrent = _v1()
    del torrent[INFO][b"files"]
    torrent[INFO][b"length"] = 20_005
    torrent[INFO][b"attr"] = b"x"
    m = parse(encode(torrent))
    assert m.files == (FileEntry("pack", 20_005, False, None, "x"),)


# --- fuzzing: only MetainfoError or BencodeError ever escapes -----------------------------------


def _parses_or_format_error(data: bytes) -> Metainfo | None:
    try:
        return parse(data)
    except (MetainfoError, BencodeError):
        return None


@pytest.mark.parametrize("name", torrent_names())
def test_fuzz_mutated_real_torrents(name: str) -> None:
    original = torrent_bytes(name)
    rng = random.Random(f"metainfo:{name}")
    for _ in range(500):
        raw = bytearray(original)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(raw))
            choice = rng.random()
            if choice < 0.6:
                raw[at] = rng.choice(b"ilde0123456789:-./\x00\xff")
            elif choice < 0.8:
                del raw[at : at + rng.randint(1, 6)]
            else:
                raw[at:at] = rng.choice([b"i-1e", b"0:", b"le", b"de", b"2:..", b"1:/"])
        _parses_or_format_error(bytes(raw))


values = st.recursive(
    st.integers(-3, 70_000) | st.binary(max_size=40) | st.sampled_from([b"", b"..", b"p", b"/"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from([b"", b"length", b"path", b"pieces root", b"attr", b"a", b"b"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
info_keys = st.sampled_from(
    [b"name", b"piece length", b"pieces", b"files", b"length", b"file tree", b"meta version"]
)
top_keys = st.sampled_from(
    [b"announce", b"announce-list", b"url-list", b"piece layers", b"comment"]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(info_keys, values), st.dictionaries(top_keys, values))
def test_fuzz_structured_torrents(info: dict[bytes, Any], top: dict[bytes, Any]) -> None:
    _parses_or_format_error(encode({**top, b"info": info}))
