"""build_torrent against real files: errors, options, progress, and byte-for-byte against libtorrent."""

from __future__ import annotations

import itertools
import os
import random
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.libtorrent_reference import lt_create, lt_info_hashes
from torrentstack.bittorrent import bencode
from torrentstack.bittorrent.create import FileEntry
from torrentstack.bittorrent.infohash import InfoHash
from torrentstack.torrent_builder import CreateError, CreateOptions, build_torrent, list_files

VERSIONS = ("v1", "v2", "hybrid")
KIB = 1024


def write(path: Path, size: int, *, seed: int = 0, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(f"{path.name}-{size}-{seed}").randbytes(size))
    if mode is not None:
        path.chmod(mode)
    return path


def info_of(torrent: bytes) -> tuple[dict[bytes, Any], bytes]:
    decoded = bencode.decode_torrent(torrent)
    info = decoded.info_bytes
    assert info is not None
    return decoded.value, info


def plain(**changes: Any) -> CreateOptions:
    """Options that make libtorrent's and our output comparable byte for byte."""
    return CreateOptions(**{"created_by": "", "creation_date": 0, **changes})


# --- layouts ------------------------------------------------------------------------------------

Layout = Callable[[Path], Path]


def single_small(tmp: Path) -> Path:
    return write(tmp / "small.bin", 1000)


def single_one_piece(tmp: Path) -> Path:
    return write(tmp / "piece.bin", 32 * KIB)


def single_multi_piece(tmp: Path) -> Path:
    # 6 pieces of 16 KiB plus a short tail: the v2 piece layer is padded from 7 to 8 entries.
    return write(tmp / "multi.bin", 6 * 16 * KIB + 1234)


def single_odd_blocks(tmp: Path) -> Path:
    # three whole blocks and one byte: a merkle tree that is not a power of two wide
    return write(tmp / "odd.bin", 3 * 16 * KIB + 1, mode=0o755)


def dir_one_file(tmp: Path) -> Path:
    write(tmp / "one" / "only.txt", 20_000)
    return tmp / "one"


def dir_nested(tmp: Path) -> Path:
    root = tmp / "Nested Release"
    write(root / "a.txt", 10)
    write(root / "alpha" / "x", 50_000)
    write(root / "b" / "c" / "deep.dat", 16 * KIB)
    write(root / "b" / "c" / "deeper" / "z", 33_333)
    write(root / "empty", 0)
    write(root / "b" / "empty-inside", 0)
    write(root / ".hidden", 7)
    write(root / "run.sh", 300, mode=0o755)
    write(root / "ünïcødé" / "日本語 ファイル.mkv", 70_000)
    write(root / "emoji 🎉.nfo", 512)
    return root


def dir_small_files(tmp: Path) -> Path:
    # v1 pieces span many files; hybrid pads after each of them
    root = tmp / "many"
    for i in range(25):
        write(root / f"f{i:02d}.bin", (i * 3_271) % 9_000 + 1)
    return root


def dir_empty_last(tmp: Path) -> Path:
    root = tmp / "tail"
    write(root / "a", 20_000)
    write(root / "z-empty", 0)
    return root


def dir_with_symlinks(tmp: Path) -> Path:
    # libtorrent's default (no `symlinks` flag) follows links like we do
    root = tmp / "linked"
    write(root / "real.bin", 30_000)
    (root / "link.bin").symlink_to(write(tmp / "elsewhere.bin", 17_000, mode=0o755))
    write(tmp / "shared" / "inner.txt", 999)
    (root / "dir-link").symlink_to(tmp / "shared", target_is_directory=True)
    return root


LAYOUTS: list[Layout] = [
    single_small,
    single_one_piece,
    single_multi_piece,
    single_odd_blocks,
    dir_one_file,
    dir_nested,
    dir_small_files,
    dir_empty_last,
    dir_with_symlinks,
]


def random_tree(tmp: Path, seed: int) -> Path:
    rng = random.Random(seed)
    root = tmp / f"random-{seed}"
    dirs = [root]
    for i in range(rng.randint(1, 12)):
        parent = rng.choice(dirs)
        if rng.random() < 0.3:
            dirs.append(parent / f"d{i}")
            parent = dirs[-1]
        size = rng.choice([0, 1, 16 * KIB - 1, 16 * KIB, 16 * KIB + 1, rng.randint(1, 150_000)])
        write(parent / f"file-{i}.{rng.choice(['bin', 'txt', 'mkv'])}", size, seed=seed)
    write(root / "anchor", rng.randint(1, 40_000), seed=seed)  # never all-empty
    return root


# --- libtorrent's own torrents ------------------------------------------------------------------


def our_info_hashes(torrent: bytes) -> tuple[str | None, str | None]:
    value, info = info_of(torrent)
    has_v1 = b"pieces" in value[b"info"]
    has_v2 = b"meta version" in value[b"info"]
    return (
        InfoHash.v1_of(info).hex if has_v1 else None,
        InfoHash.v2_of(info).hex if has_v2 else None,
    )


def assert_same_as_libtorrent(path: Path, version: str, piece_length: int) -> None:
    ours = build_torrent(path, plain(version=version, piece_length=piece_length or None))
    theirs = lt_create(path, version, piece_length)
    assert info_of(ours)[1] == info_of(theirs)[1]
    assert ours == theirs
    assert our_info_hashes(ours) == lt_info_hashes(theirs) == lt_info_hashes(ours)


@pytest.mark.libtorrent
@pytest.mark.parametrize("piece_length", [16 * KIB, 32 * KIB, 0], ids=["16k", "32k", "auto"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_layouts_match_libtorrent(
    tmp_path: Path, layout: Layout, version: str, piece_length: int
) -> None:
    assert_same_as_libtorrent(layout(tmp_path), version, piece_length)


@pytest.mark.libtorrent
@pytest.mark.parametrize("seed", range(24))
def test_random_trees_match_libtorrent(tmp_path: Path, seed: int) -> None:
    root = random_tree(tmp_path, seed)
    for version in VERSIONS:
        assert_same_as_libtorrent(root, version, random.Random(seed).choice([16 * KIB, 64 * KIB]))


@pytest.mark.libtorrent
def test_metadata_matches_libtorrent(tmp_path: Path) -> None:
    root = dir_small_files(tmp_path)
    trackers = (("udp://a.example:6969/announce", "http://b.example/announce"), ("http://c/ann",))
    seeds = ("http://seed.example/files/", "http://mirror.example/files/")
    options = plain(
        trackers=trackers,
        web_seeds=seeds,
        comment="a comment ✓",
        created_by="torrentstack test",
        private=True,
    )
    theirs = lt_create(
        root,
        "hybrid",
        0,
        trackers=trackers,
        web_seeds=seeds,
        comment="a comment ✓",
        creator="torrentstack test",
        private=True,
    )
    assert build_torrent(root, options) == theirs
    one_seed = plain(web_seeds=seeds[:1], trackers=["http://only/announce"])
    assert build_torrent(root, one_seed) == lt_create(
        root, "hybrid", 0, web_seeds=seeds[:1], trackers=(("http://only/announce",),)
    )


@pytest.mark.libtorrent
def test_prefix_named_siblings_stay_valid(tmp_path: Path) -> None:
    """Where libtorrent's hybrid torrent contradicts itself we still make a valid one.

    libtorrent sorts hybrid v1 files by the whole path string ("a b" < "a.txt" < "a/x") but
    writes the file tree by component ("a" < "a b"), and then refuses its own torrent ("the v1
    and v2 file metadata does not match"). We order both by component.
    """
    lt = pytest.importorskip("libtorrent")
    root = tmp_path / "r"
    for name in ("a/x", "a b", "a.txt", "B"):
        write(root / name, 10)
    ours = build_torrent(root, plain())
    paths = [f[b"path"] for f in info_of(ours)[0][b"info"][b"files"] if f.get(b"attr") != b"p"]
    assert paths == [[b"B"], [b"a", b"x"], [b"a b"], [b"a.txt"]]
    lt.torrent_info(lt.bdecode(ours))  # libtorrent accepts ours
    with pytest.raises(RuntimeError, match="does not match"):
        lt.torrent_info(lt.bdecode(lt_create(root, "hybrid", 0)))
    # v2-only has no v1 list to disagree with, and there we match exactly
    assert build_torrent(root, plain(version="v2")) == lt_create(root, "v2", 0)


@pytest.mark.libtorrent
@pytest.mark.slow
@pytest.mark.parametrize("version", VERSIONS)
def test_large_file_matches_libtorrent(tmp_path: Path, version: str) -> None:
    root = tmp_path / "big"
    write(root / "video.mkv", 96 * 1024 * KIB + 12_345)
    write(root / "sample.mkv", 9 * 1024 * KIB + 1)
    write(root / "info.nfo", 2_000)
    assert_same_as_libtorrent(root, version, 0)


# --- walking the file system --------------------------------------------------------------------


def test_single_file_and_directory_layouts(tmp_path: Path) -> None:
    single = write(tmp_path / "one.bin", 100)
    assert list_files(single) == ("one.bin", [FileEntry(("one.bin",), 100)], True)
    name, files, single_file = list_files(dir_one_file(tmp_path))
    assert (name, files, single_file) == ("one", [FileEntry(("only.txt",), 20_000)], False)
    info = info_of(build_torrent(tmp_path / "one", plain()))[0][b"info"]
    assert info[b"files"] == [{b"length": 20_000, b"path": [b"only.txt"]}]  # no pad: one file


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_attributes_hidden_and_executable(tmp_path: Path) -> None:
    root = tmp_path / "attrs"
    write(root / ".dotfile", 5)
    write(root / "tool", 5, mode=0o744)
    files = {f.path: f for f in list_files(root)[1]}
    assert files[(".dotfile",)].attr is None  # included; a dot is not "hidden" to libtorrent
    assert files[("tool",)].attr == "x"


def test_symlinks_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "links"
    target = write(tmp_path / "outside.bin", 40_000)
    root.mkdir()
    (root / "link.bin").symlink_to(target)
    write(tmp_path / "shared" / "inner.txt", 9)
    (root / "dir-link").symlink_to(tmp_path / "shared", target_is_directory=True)
    _, files, _ = list_files(root)
    assert [(f.path, f.length) for f in files] == [
        (("dir-link", "inner.txt"), 9),
        (("link.bin",), 40_000),
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "no such file"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "holds no files"),
        (lambda tmp: (tmp / "e" / "sub").mkdir(parents=True) or tmp / "e", "holds no files"),
        (lambda tmp: write(tmp / "z" / "zero", 0).parent, "every file is empty"),
    ],
    ids=["missing", "empty-dir", "only-empty-subdirs", "only-empty-files"],
)
def test_nothing_to_hash(tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(CreateError, match=message) as info:
        build_torrent(path, plain())
    assert info.value.path is not None
    assert Path(info.value.path).name == path.name


def test_broken_symlink_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "ok", 10)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(CreateError, match="broken symlink") as info:
        build_torrent(root, plain())
    assert info.value.path == str(root / "dangling")


def test_symlink_loop_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "sub" / "ok", 10)
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)
    with pytest.raises(CreateError, match="symlink loop") as info:
        build_torrent(root, plain())
    assert info.value.path == str(root / "sub" / "up")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_special_files_are_an_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "ok", 10)
    os.mkfifo(root / "pipe")
    with pytest.raises(CreateError, match="not a regular file") as info:
        build_torrent(root, plain())
    assert info.value.path == str(root / "pipe")


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_non_utf8_name_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "ok", 10)
    (root / os.fsdecode(b"bad-\xff.bin")).write_bytes(b"x")
    with pytest.raises(CreateError, match="UTF-8"):
        build_torrent(root, plain())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    locked = write(root / "locked", 10, mode=0)
    try:
        with pytest.raises(CreateError, match="cannot read") as info:
            build_torrent(root, plain())
        assert info.value.path == str(locked)
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_file_that_shrinks_while_hashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torrentstack import torrent_builder

    root = tmp_path / "d"
    write(root / "f", 1000)
    monkeypatch.setattr(
        torrent_builder, "list_files", lambda path: ("d", [FileEntry(("f",), 5000)], False)
    )
    with pytest.raises(CreateError, match="shrank") as info:
        build_torrent(root, plain())
    assert info.value.path == str(root / "f")


@pytest.mark.parametrize("piece_length", [0, 8 * KIB, 48 * KIB, 256 * 1024 * KIB])
def test_bad_piece_size(tmp_path: Path, piece_length: int) -> None:
    path = write(tmp_path / "f", 10)
    with pytest.raises(CreateError, match="power of two") as info:
        build_torrent(path, plain(piece_length=piece_length))
    assert info.value.path == str(path)
    assert info.value.value == piece_length


# --- options and progress -----------------------------------------------------------------------


def test_options_reach_the_torrent(tmp_path: Path) -> None:
    path = write(tmp_path / "f.bin", 70_000)
    options = CreateOptions(
        private=True,
        source="TS",
        comment="hello",
        trackers=["http://a/announce", ("http://b/announce", "http://c/announce")],
        web_seeds=["http://w/"],
        created_by="maker 1.0",
        creation_date=1_700_000_000,
    )
    value, _ = info_of(build_torrent(path, options))
    assert value[b"info"][b"private"] == 1
    assert value[b"info"][b"source"] == b"TS"
    assert value[b"announce"] == b"http://a/announce"
    assert value[b"announce-list"] == [
        [b"http://a/announce"],
        [b"http://b/announce", b"http://c/announce"],
    ]
    assert value[b"url-list"] == b"http://w/"
    assert value[b"comment"] == b"hello"
    assert value[b"created by"] == b"maker 1.0"
    assert value[b"creation date"] == 1_700_000_000


def test_default_creator_and_date(tmp_path: Path) -> None:
    path = write(tmp_path / "f.bin", 100)
    before = int(time.time())
    value, _ = info_of(build_torrent(path, CreateOptions()))
    assert before <= value[b"creation date"] <= int(time.time())
    assert value[b"created by"].startswith(b"torrentstack ")
    assert b"creation date" not in info_of(build_torrent(path, plain()))[0]


def test_progress_reports_every_content_byte(tmp_path: Path) -> None:
    root = dir_small_files(tmp_path)
    total = sum(f.stat().st_size for f in root.iterdir())
    calls: list[tuple[int, int]] = []
    build_torrent(root, plain(), on_progress=lambda done, of: calls.append((done, of)))
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert all(b[0] >= a[0] and b[1] == total for a, b in itertools.pairwise(calls))
    assert len(calls) > 2


@pytest.mark.parametrize("version", VERSIONS)
def test_our_metainfo_parser_reads_what_we_make(tmp_path: Path, version: str) -> None:
    from torrentstack.bittorrent import metainfo

    torrent = build_torrent(dir_nested(tmp_path), plain(version=version))
    parsed = metainfo.parse(torrent)
    v1, v2 = our_info_hashes(torrent)
    assert (parsed.info_hash_v1 and parsed.info_hash_v1.hex) == v1
    assert (parsed.info_hash_v2 and parsed.info_hash_v2.hex) == v2


def test_same_content_same_torrent(tmp_path: Path) -> None:
    root = dir_nested(tmp_path)
    first = build_torrent(root, plain())
    assert build_torrent(root, plain()) == first
