"""Site uploads and downloads: real torrents through prepare_upload, torrent_file, libtorrent."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bittorrent.sample_torrents import torrent_bytes, torrent_names
from tests.support.libtorrent_reference import lt_create
from tests.support.payloads import payload_bytes
from torrentstack.bittorrent import create
from torrentstack.bittorrent.bencode import decode, decode_torrent, encode
from torrentstack.bittorrent.magnet import parse as parse_magnet
from torrentstack.errors import TorrentstackError
from torrentstack.site.torrents import metafile
from torrentstack.site.torrents.metafile import (
    FileEntry,
    InvalidTorrent,
    Prepared,
    announce_urls,
    magnet_link,
    prepare_upload,
    torrent_file,
)
from torrentstack.tracker.policy import is_valid_key
from torrentstack.tracker.udp import key_from_url_data

lt = pytest.importorskip("libtorrent")
pytestmark = pytest.mark.libtorrent

KIB = 1024
LIMIT = 10_000_000
KEY = "A" * 16 + "b" * 8 + "0123456z"
URLS = announce_urls(KEY, http_base="http://tracker.test:6969", udp_base="udp://tracker.test:6969")
MULTI = {"Season 01/ep1.mkv": 70_000, "Season 01/ep2.mkv": 9_000, "info.nfo": 123, "empty": 0}
SINGLE = {"movie.mkv": 50_000}


def make(
    maker: str,
    version: str,
    files: dict[str, int],
    root: Path,
    *,
    name: str = "Show",
    piece_length: int = 16 * KIB,
    private: bool = False,
    single: bool = False,
) -> bytes:
    """A real torrent of `files` (relative path -> size), made by libtorrent or bittorrent.create."""
    if maker == "lt":
        for rel, size in files.items():
            target = root / rel if single else root / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload_bytes(rel, size))
        path = root / next(iter(files)) if single else root / name
        return lt_create(path, version, piece_length, private=private, comment="up")
    entries = [create.FileEntry(tuple(rel.split("/")), size) for rel, size in files.items()]
    layout = create.plan_layout(
        next(iter(files)) if single else name,
        entries,
        version=version,  # type: ignore[arg-type]
        piece_length=piece_length,
        single_file=single,
    )
    stream = b"".join(
        payload_bytes("/".join(layout.files[s.file].path), s.length)
        if s.file is not None
        else bytes(s.length)
        for s in layout.segments
    )
    pieces, roots = create.hash_pieces(layout, 0, stream)
    meta = create.Metadata(
        trackers=(("http://elsewhere.test/announce",),),
        web_seeds=("http://seed.test/",),
        private=private,
        comment="up",
        created_by="maker 1.0",
        creation_date=1_700_000_000,
    )
    return create.assemble(layout, pieces, roots, meta)


def download(p: Prepared, urls: list[str] = URLS) -> bytes:
    return torrent_file(p.info, announce_urls=urls, comment=p.comment, piece_layers=p.piece_layers)


def lt_view(data: bytes):
    """libtorrent's add_torrent_params for a .torrent file's bytes."""
    return lt.load_torrent_buffer(data)


CASES = [
    (maker, version, single, private)
    for maker in ("lt", "ours")
    for version in ("v1", "v2", "hybrid")
    for single in (False, True)
    for private in (False, True)
]


@pytest.mark.parametrize(("maker", "version", "single", "private"), CASES)
def test_real_torrents_become_private_and_keep_their_hash_in_every_download(
    tmp_path: Path, maker: str, version: str, single: bool, private: bool
) -> None:
    files = SINGLE if single else MULTI
    raw = make(maker, version, files, tmp_path, private=private, single=single)
    original = decode_torrent(raw)
    p = prepare_upload(raw, max_bytes=LIMIT)

    # Only a torrent that was not private needs a new info dict; a private one keeps its bytes.
    assert p.reencoded is not private
    if private:
        assert p.info == original.info_bytes
    assert decode(p.info) == {**decode(original.info_bytes), b"private": 1}  # type: ignore[dict-item]

    data = download(p)
    assert decode_torrent(data).info_bytes == p.info
    atp = lt_view(data)
    assert atp.ti.priv()
    hashes = atp.ti.info_hashes()
    assert hashes.has_v1() == (version != "v2")
    assert hashes.has_v2() == (version != "v1")
    if hashes.has_v1():
        assert p.info_hash == str(hashes.v1)
    if hashes.has_v2():
        assert p.info_hash_v2 == str(hashes.v2)
    if version == "v2":
        assert p.info_hash == str(hashes.v2)[:40]
    assert (atp.trackers, atp.tracker_tiers) == (URLS, [0, 0])
    assert atp.url_seeds == []  # the uploader's web seeds are not handed out

    layout = atp.ti.layout()
    real = [
        (layout.file_path(i).partition("/")[2] or layout.file_path(i), layout.file_size(i))
        for i in range(layout.num_files())
        if not layout.file_flags(i) & lt.file_storage.flag_pad_file
    ]
    assert [(f.path, f.length) for f in p.files] == real
    assert p.size == sum(files.values())
    assert p.name == ("movie.mkv" if single else "Show")
    assert p.piece_length == 16 * KIB
    assert p.comment == "up"
    if version == "v1":
        assert p.piece_layers is None
    elif not single:  # ep1.mkv spans five pieces: its layer travels with every download
        assert decode(data)[b"piece layers"] == original.value[b"piece layers"]  # type: ignore[index]


def test_libtorrents_hybrid_of_a_folder_with_one_file(tmp_path: Path) -> None:
    p = prepare_upload(make("lt", "hybrid", SINGLE, tmp_path, name="Movie"), max_bytes=LIMIT)
    assert lt_view(download(p)).ti.priv()


def test_upload_fields_and_dropped_keys(tmp_path: Path) -> None:
    raw = make("ours", "hybrid", MULTI, tmp_path)
    top = decode(raw)
    assert isinstance(top, dict)
    assert {b"announce", b"url-list"} <= set(top)
    p = prepare_upload(encode({**top, b"nodes": [[b"1.2.3.4", 6881]]}), max_bytes=LIMIT)
    assert (p.comment, p.created_by, p.creation_date) == ("up", "maker 1.0", 1_700_000_000)
    assert p.files == (
        FileEntry("Season 01/ep1.mkv", 70_000),
        FileEntry("Season 01/ep2.mkv", 9_000),
        FileEntry("empty", 0),
        FileEntry("info.nfo", 123),
    )
    assert p.tracker_hashes == (p.info_hash, str(p.info_hash_v2)[:40])
    data = torrent_file(
        p.info,
        announce_urls=URLS,
        comment="site",
        created_by="torrentstack",
        creation_date=5,
        piece_layers=p.piece_layers,
    )
    out = decode(data)  # strict: the keys are sorted
    assert isinstance(out, dict)
    assert list(out) == [
        b"announce",
        b"announce-list",
        b"comment",
        b"created by",
        b"creation date",
        b"info",
        b"piece layers",
    ]
    assert out[b"announce"] == URLS[0].encode()
    assert out[b"announce-list"] == [[u.encode() for u in URLS]]
    single_url = decode(torrent_file(p.info, announce_urls=URLS[:1]))
    assert isinstance(single_url, dict)
    assert list(single_url) == [b"announce", b"info"]
    with pytest.raises(ValueError, match="announce URL"):
        torrent_file(p.info, announce_urls=[])
    with pytest.raises(ValueError, match="bencoded dict"):
        torrent_file(b"i1e", announce_urls=URLS)


def test_tracker_hashes_per_version(tmp_path: Path) -> None:
    v1 = prepare_upload(make("ours", "v1", MULTI, tmp_path), max_bytes=LIMIT)
    v2 = prepare_upload(make("ours", "v2", MULTI, tmp_path), max_bytes=LIMIT)
    assert (v1.info_hash_v2, v1.tracker_hashes) == (None, (v1.info_hash,))
    assert v2.tracker_hashes == (v2.info_hash,)
    assert v2.info_hash == str(v2.info_hash_v2)[:40]


@settings(max_examples=50, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        min_size=32,
        max_size=32,
    )
)
def test_info_is_byte_identical_for_any_passkey(passkey: str) -> None:
    p = prepare_upload(torrent_bytes("hybrid-multi.torrent"), max_bytes=LIMIT)
    urls = announce_urls(passkey, http_base="https://t.test/", udp_base="udp://t.test:6969")
    data = download(p, urls)
    assert decode_torrent(data).info_bytes == p.info
    atp = lt_view(data)
    assert str(atp.ti.info_hashes().v1) == p.info_hash
    assert atp.trackers == [
        f"https://t.test/announce/{passkey}",
        f"udp://t.test:6969/announce/{passkey}",
    ]


def test_already_private_but_unsorted_info_is_made_canonical() -> None:
    info = decode(decode_torrent(torrent_bytes("private.torrent")).info_bytes or b"")
    assert isinstance(info, dict) and info[b"private"] == 1
    pairs = b"".join(encode(k) + encode(v) for k, v in sorted(info.items(), reverse=True))
    raw = b"d4:infod" + pairs + b"ee"
    p = prepare_upload(raw, max_bytes=LIMIT)
    assert p.reencoded
    assert p.info == encode(info)
    assert str(lt_view(download(p)).ti.info_hashes().v1) == p.info_hash


@pytest.mark.parametrize("flag", [0, 2, -1])
def test_any_other_private_value_becomes_one(flag: int) -> None:
    top = decode(torrent_bytes("v1-single.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"info"], dict)
    top[b"info"][b"private"] = flag
    p = prepare_upload(encode(top), max_bytes=LIMIT)
    assert p.reencoded and decode(p.info)[b"private"] == 1  # type: ignore[index]


def test_source_tag_changes_the_hash_only_when_it_differs(tmp_path: Path) -> None:
    raw = make("ours", "v1", SINGLE, tmp_path, private=True, single=True)
    plain = prepare_upload(raw, max_bytes=LIMIT)
    tagged = prepare_upload(raw, max_bytes=LIMIT, source="SITE")
    assert tagged.reencoded and tagged.info_hash != plain.info_hash
    assert decode(tagged.info)[b"source"] == b"SITE"  # type: ignore[index]
    again = prepare_upload(download(tagged), max_bytes=LIMIT, source="SITE")
    assert not again.reencoded and again.info == tagged.info
    assert tagged.content_signature == plain.content_signature


# --- content signature ---------------------------------------------------------------------------


def test_same_content_signs_alike_across_piece_length_version_maker_and_root(
    tmp_path: Path,
) -> None:
    variants = [
        make(
            maker,
            version,
            MULTI,
            tmp_path / f"{maker}{version}{plen}{name}",
            name=name,
            piece_length=plen,
            private=private,
        )
        for maker, version, plen, name, private in [
            ("lt", "v1", 16 * KIB, "Show", False),
            ("lt", "hybrid", 32 * KIB, "Show", True),
            ("ours", "v2", 64 * KIB, "Show", False),
            ("ours", "hybrid", 16 * KIB, "Show.S01.Renamed", True),
        ]
    ]
    prepared = [prepare_upload(v, max_bytes=LIMIT) for v in variants]
    assert len({p.info_hash for p in prepared}) == 4
    assert len({p.content_signature for p in prepared}) == 1


def test_a_lone_file_in_a_folder_signs_like_the_bare_file(tmp_path: Path) -> None:
    bare = prepare_upload(make("ours", "v1", SINGLE, tmp_path, single=True), max_bytes=LIMIT)
    wrapped = prepare_upload(make("ours", "v1", SINGLE, tmp_path, name="Movie"), max_bytes=LIMIT)
    assert (bare.name, wrapped.name) == ("movie.mkv", "Movie")
    assert bare.content_signature == wrapped.content_signature


@pytest.mark.parametrize(
    "changed",
    [
        {**MULTI, "info.nfo": 124},  # one byte more
        {**{k: v for k, v in MULTI.items() if k != "info.nfo"}, "readme.nfo": 123},  # renamed
        {k: v for k, v in MULTI.items() if k != "empty"},  # a file fewer
    ],
)
def test_different_content_signs_differently(tmp_path: Path, changed: dict[str, int]) -> None:
    base = prepare_upload(make("ours", "v1", MULTI, tmp_path / "a"), max_bytes=LIMIT)
    other = prepare_upload(make("ours", "v1", changed, tmp_path / "b"), max_bytes=LIMIT)
    assert base.content_signature != other.content_signature


def test_signature_normalises_unicode() -> None:
    nfc = metafile.content_signature([FileEntry("caf\u00e9.mkv", 5)])
    nfd = metafile.content_signature([FileEntry("cafe\u0301.mkv", 5)])
    assert nfc == nfd and re.fullmatch("[0-9a-f]{64}", nfc)


# --- refused uploads --------------------------------------------------------------------------


def v1_single(**info_changes: object) -> bytes:
    top = decode(torrent_bytes("v1-single.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"info"], dict)
    top[b"info"].update({k.replace("_", " ").encode(): v for k, v in info_changes.items()})  # type: ignore[misc]
    return encode(top)


def v1_multi_first_file(**changes: object) -> bytes:
    top = decode(torrent_bytes("v1-multi.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"info"], dict)
    first = top[b"info"][b"files"][0]  # type: ignore[index,call-overload]
    first.update({k.encode(): v for k, v in changes.items()})
    return encode(top)


def v2_single(length: int, piece_length: int, **props: object) -> bytes:
    """One file of `length` bytes (no piece layers: only a one-piece file is valid)."""
    top = decode(torrent_bytes("v2-single.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"info"], dict)
    info = top[b"info"]
    info[b"piece length"] = piece_length
    leaf = {
        b"length": length,
        b"pieces root": bytes(range(32)),
        **{k.encode(): v for k, v in props.items()},
    }
    info[b"file tree"] = {b"big.bin": {b"": leaf}}
    return encode({b"info": info})


def nested_info(depth: int) -> bytes:
    """v1-single with an extra info key holding `depth` nested lists: info is depth + 1 deep."""
    value: object = 0
    for _ in range(depth):
        value = [value]
    return v1_single(x_deep=value)


def hybrid_pads(*lengths: int | None) -> bytes:
    """hybrid-multi.torrent with its three pad files resized (None: left out)."""
    top = decode(torrent_bytes("hybrid-multi.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"info"], dict)
    files = top[b"info"][b"files"]
    assert isinstance(files, list)
    pads = [f for f in files if isinstance(f, dict) and f.get(b"attr") == b"p"]
    assert [f[b"length"] for f in pads] == [2768, 7384, 16261]
    for pad, length in zip(pads, lengths, strict=True):
        if length is None:
            files.remove(pad)
        else:
            pad[b"length"] = length
    return encode(top)


def bad_piece_layer() -> bytes:
    top = decode(torrent_bytes("v2-multi.torrent"), strict=False)
    assert isinstance(top, dict) and isinstance(top[b"piece layers"], dict)
    layers = top[b"piece layers"]
    root, hashes = next(iter(layers.items()))
    assert isinstance(hashes, bytes)
    layers[root] = bytes([hashes[0] ^ 1]) + hashes[1:]
    return encode(top)


BAD = {
    "empty": (b"", "a bencoded dict"),
    "truncated": (torrent_bytes("v1-multi.torrent")[:-1], "unexpected end"),
    "half": (torrent_bytes("hybrid-multi.torrent")[:300], "past the end"),
    "not a dict": (b"li1ee", "a bencoded dict"),
    "a string": (b"4:spam", "a bencoded dict"),
    "no info": (b"d8:announce3:urle", "info: missing"),
    "info not a dict": (b"d4:info4:spame", "info: missing"),
    "trailing data": (torrent_bytes("v1-single.torrent") + b"x", "trailing data"),
    "nesting bomb": (b"d4:info" + b"l" * 100_000 + b"e" * 100_000 + b"e", "nesting deeper"),
    "info too deep for libtorrent": (nested_info(98), "nested deeper than 98 levels"),
    "declared string length": (b"d4:info99999999999999:xe", "past the end"),
    "declared integer": (b"d4:infod6:lengthi" + b"9" * 5000 + b"eee", "oversized token"),
    "piece count overflow": (v2_single(1 << 50, 1 << 28), "4194304 pieces"),
    "content too large": (v2_single(1 << 45, 1 << 26), "content is larger"),
    "piece length not a power of two": (v1_single(piece_length=20_000, pieces=bytes(40)), "20000"),
    "piece length too small": (v1_single(piece_length=8 * KIB, pieces=bytes(100)), "8192"),
    "no data": (v1_single(length=0, pieces=b""), "no data"),
    "invisible name": (v1_single(name="\u200b".encode()), "invisible"),
    "bad path": (v1_single(name=b".."), "unsafe path"),
    "v2 keys in a v1 torrent": (v1_single(file_tree={b"a": {b"": {b"length": 1}}}), "file tree"),
    "v1 files without pieces": (
        encode({b"info": {**decode(v2_single(16 * KIB, 16 * KIB))[b"info"], b"length": 1}}),  # type: ignore[dict-item]
        "without v1 piece hashes",
    ),
    # the same total, piece count and v1 pieces, but ep2.mkv no longer starts a piece
    "hybrid pads wrong": (hybrid_pads(2767, 7385, 16261), "padded to whole pieces"),
    "piece layers missing": (v2_single(50_000, 16 * KIB), "piece layers: none for 'big.bin'"),
    "piece layer wrong": (bad_piece_layer(), "does not match its root"),
    "symlink": (v1_single(attr=b"l"), "symlinks"),
    "pad in a v2 tree": (v2_single(16 * KIB, 16 * KIB, attr=b"p"), "pad and symlink"),
    "empty path.utf-8": (v1_multi_first_file(**{"path.utf-8": []}), "path.utf-8"),
}


@pytest.mark.parametrize(("data", "reason"), BAD.values(), ids=BAD.keys())
def test_bad_uploads_are_invalid_torrents(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidTorrent) as caught:
        prepare_upload(data, max_bytes=LIMIT)
    assert isinstance(caught.value, TorrentstackError)
    assert reason in caught.value.reason and str(caught.value) == caught.value.reason


@pytest.mark.parametrize(
    "name",
    ["hybrid pads wrong", "piece layer wrong", "symlink", "pad in a v2 tree", "empty path.utf-8"],
)
def test_libtorrent_refuses_them_too(name: str) -> None:
    with pytest.raises(RuntimeError):
        lt.load_torrent_buffer(BAD[name][0])


def test_a_hybrid_may_leave_out_its_last_pad_as_libtorrent_allows() -> None:
    p = prepare_upload(hybrid_pads(2768, 7384, None), max_bytes=LIMIT)
    assert str(lt_view(download(p)).ti.info_hashes().v1) == p.info_hash


def test_too_many_bytes() -> None:
    data = torrent_bytes("v1-single.torrent")
    assert prepare_upload(data, max_bytes=len(data)).size > 0
    with pytest.raises(InvalidTorrent, match=f"larger than {len(data) - 1} bytes"):
        prepare_upload(data, max_bytes=len(data) - 1)


def test_nesting_limit_is_libtorrents() -> None:
    deepest = prepare_upload(nested_info(97), max_bytes=LIMIT)
    assert lt_view(download(deepest)).ti.priv()
    too_deep = decode(nested_info(98))
    assert isinstance(too_deep, dict)
    with pytest.raises(RuntimeError, match="depth"):
        lt.load_torrent_buffer(encode({**too_deep, b"announce": URLS[0]}))


def test_junk_outside_info_is_dropped_however_deep() -> None:
    value: object = b"x"
    for _ in range(300):
        value = [value]
    top = decode(torrent_bytes("v1-single.torrent"), strict=False)
    assert isinstance(top, dict)
    p = prepare_upload(encode({**top, b"zzz": value}), max_bytes=LIMIT)
    assert lt_view(download(p)).ti.priv()


def test_token_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metafile, "MAX_TOKENS", 20)
    assert prepare_upload(torrent_bytes("v1-single.torrent"), max_bytes=LIMIT)
    with pytest.raises(InvalidTorrent, match="more than 20 values"):
        prepare_upload(torrent_bytes("v1-multi.torrent"), max_bytes=LIMIT)


def test_libtorrent_refuses_what_the_limits_refuse() -> None:
    for data in (v2_single(1 << 50, 1 << 28), v2_single(1 << 45, 1 << 26)):
        with pytest.raises(RuntimeError):
            lt.load_torrent_buffer(data)
    assert prepare_upload(v2_single(16 * KIB, 16 * KIB), max_bytes=LIMIT).size == 16 * KIB


_CHUNKS = [b"i", b"l", b"d", b"e", b"0", b"9", b":", b"-", b"/", b"\xff", b"i-1e", b"0:", b"2:.."]
_EDITS = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.sampled_from(["set", "delete", "insert", "truncate"]),
        st.sampled_from(_CHUNKS),
    ),
    min_size=1,
    max_size=4,
)
_KEYS = [b"attr", b"path.utf-8", b"path", b"length", b"name", b"private", b"meta version"]
_VALUES = st.sampled_from(
    [0, 1, -1, 2, 16384, b"", b"p", b"l", b"x", b"..", "\u200b".encode(), [], {}, [b"a"], [1]]
)


def accepted_means_loadable(data: bytes) -> None:
    """Refused as InvalidTorrent only; if accepted, libtorrent loads it private, same hash."""
    try:
        p = prepare_upload(data, max_bytes=LIMIT)
    except InvalidTorrent:
        return
    atp = lt_view(download(p))
    assert atp.ti.priv()
    hashes = atp.ti.info_hashes()
    assert p.info_hash == str(hashes.v1 if hashes.has_v1() else hashes.v2)[:40]
    assert p.info_hash_v2 == (str(hashes.v2) if hashes.has_v2() else None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(torrent_names()), _EDITS)
def test_fuzz_mutated_real_torrents(name: str, edits: list[tuple[float, str, bytes]]) -> None:
    raw = bytearray(torrent_bytes(name))
    for where, kind, chunk in edits:
        at = int(where * (len(raw) - 1))
        if kind == "set":
            raw[at : at + 1] = chunk[:1]
        elif kind == "delete":
            del raw[at : at + len(chunk)]
        elif kind == "insert":
            raw[at:at] = chunk
        else:
            del raw[at:]
    accepted_means_loadable(bytes(raw))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(torrent_names()), st.data())
def test_fuzz_restructured_real_torrents(name: str, data: st.DataObject) -> None:
    """Well-formed bencode, wrong values: a random key somewhere in the torrent set anew."""
    top = decode(torrent_bytes(name), strict=False)
    for _ in range(data.draw(st.integers(1, 3))):
        node: Any = top
        while True:  # walk down to a random dict or list
            inner = [
                v
                for v in (node.values() if isinstance(node, dict) else node)
                if v and isinstance(v, dict | list)
            ]
            if not inner or data.draw(st.booleans()):
                break
            node = data.draw(st.sampled_from(inner))
        if isinstance(node, dict):
            node[data.draw(st.sampled_from(_KEYS + sorted(node)))] = copy.deepcopy(
                data.draw(_VALUES)
            )
        elif node:
            node[data.draw(st.integers(0, len(node) - 1))] = copy.deepcopy(data.draw(_VALUES))
    accepted_means_loadable(encode(top))


# --- announce URLs and magnets ----------------------------------------------------------------


def test_announce_urls_are_what_the_tracker_reads() -> None:
    http, udp = URLS
    assert [
        f"http://tracker.test:6969/announce/{KEY}",
        f"udp://tracker.test:6969/announce/{KEY}",
    ] == URLS
    assert urlsplit(http).path == f"/announce/{KEY}" and is_valid_key(KEY)
    # BEP 41: a UDP client sends the URL's path (and query) as URL data; the tracker's parser.
    assert key_from_url_data(urlsplit(udp).path.encode()) == KEY
    assert announce_urls(KEY, http_base="https://t.test/", udp_base=None) == [
        f"https://t.test/announce/{KEY}"
    ]


@pytest.mark.parametrize(
    ("passkey", "http_base", "udp_base"),
    [
        ("short", "http://t.test", None),
        ("a/" + "b" * 30, "http://t.test", None),
        ("\u00e9" * 32, "http://t.test", None),
        (KEY, "ftp://t.test", None),
        (KEY, "http://", None),
        (KEY, "http://t.test/?x=1", None),
        (KEY, "http://t.test", "http://t.test"),
    ],
)
def test_announce_urls_refuse_bad_input(passkey: str, http_base: str, udp_base: str | None) -> None:
    with pytest.raises(ValueError, match=r"passkey|tracker base URL"):
        announce_urls(passkey, http_base=http_base, udp_base=udp_base)


@pytest.mark.parametrize("version", ["v1", "v2", "hybrid"])
def test_magnet_links_name_the_torrent_libtorrent_loads(tmp_path: Path, version: str) -> None:
    p = prepare_upload(make("ours", version, MULTI, tmp_path), max_bytes=LIMIT)
    uri = magnet_link(p.info_hash, p.name, p.size, URLS, info_hash_v2=p.info_hash_v2)
    mine = parse_magnet(uri)
    assert (mine.name, mine.length, list(mine.trackers)) == ("Show", p.size, URLS)
    assert ("urn:btih:" in uri) == (version != "v2")
    assert ("urn:btmh:" in uri) == (version != "v1")
    from_magnet = lt.parse_magnet_uri(uri).info_hashes
    from_file = lt_view(download(p)).ti.info_hashes()
    assert from_magnet.has_v1() == from_file.has_v1() and from_magnet.has_v2() == from_file.has_v2()
    if from_file.has_v1():
        assert str(from_magnet.v1) == str(from_file.v1)
    if from_file.has_v2():
        assert str(from_magnet.v2) == str(from_file.v2)
