"""`torrentstack create` and `inspect` as a user runs them, checked against libtorrent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, run_cli
from tests.support.libtorrent_reference import lt_create, lt_info_hashes

lt = pytest.importorskip("libtorrent")


def make_tree(root: Path) -> Path:
    content = root / "Some.Show.S01.1080p"
    (content / "Subs" / "Deep").mkdir(parents=True)
    sizes = {
        "Some.Show.S01E01.mkv": 70_000,
        "Some.Show.S01E02.mkv": 16_384,
        "Subs/English.srt": 1_234,
        "Subs/Deep/notes.txt": 99_999,
        "empty.nfo": 0,
    }
    for offset, (name, size) in enumerate(sizes.items()):
        (content / name).write_bytes(bytes((i * 7 + offset) % 251 for i in range(size)))
    return content


@pytest.mark.libtorrent
@pytest.mark.parametrize(
    ("mode", "version"),
    [("--hybrid", "hybrid"), ("--v1", "v1"), ("--v2", "v2")],
)
def test_create_matches_libtorrent_and_inspect_reads_it(capsys, tmp_path, mode, version):
    content = make_tree(tmp_path)
    out = tmp_path / "out.torrent"
    code, _, err = run_cli(
        capsys, "create", str(content), "-o", str(out), mode, "--piece-size", "32768", "-q",
        "-t", "http://tracker.example/announce,http://backup.example/announce",
        "-t", "udp://tracker.example:6969/announce", "-w", "http://seed.example/files/",
        "--comment", "made by a test", "--private",
    )  # fmt: skip
    assert code == 0, err
    expected_v1, expected_v2 = lt_info_hashes(lt_create(content, version, 32768, private=True))

    code, out_text, _ = run_cli(capsys, "inspect", str(out), "--json")
    assert code == 0
    details = json.loads(out_text)
    assert details["info_hash_v1"] == expected_v1
    assert details["info_hash_v2"] == expected_v2
    assert details["name"] == "Some.Show.S01.1080p"
    assert details["piece_length"] == 32768
    assert details["private"] is True
    assert details["trackers"] == [
        ["http://tracker.example/announce", "http://backup.example/announce"],
        ["udp://tracker.example:6969/announce"],
    ]
    assert sorted(f["path"] for f in details["files"]) == sorted(
        f"Some.Show.S01.1080p/{p}"
        for p in [
            "Some.Show.S01E01.mkv",
            "Some.Show.S01E02.mkv",
            "Subs/English.srt",
            "Subs/Deep/notes.txt",
            "empty.nfo",
        ]
    )

    # libtorrent reads what we wrote and agrees on the files
    info = lt.torrent_info(str(out))
    assert info.name() == "Some.Show.S01.1080p"
    assert info.priv()
    assert info.comment() == "made by a test"


@pytest.mark.libtorrent
def test_create_single_file_default_is_hybrid(capsys, tmp_path):
    data = tmp_path / "movie.mkv"
    data.write_bytes(b"\x01\x02" * 300_000)
    out = tmp_path / "movie.torrent"
    code, _, err = run_cli(capsys, "create", str(data), "-o", str(out), "-q")
    assert code == 0, err
    details = json.loads(run_cli(capsys, "inspect", str(out), "--json")[1])
    piece = details["piece_length"]
    expected = lt_info_hashes(lt_create(data, "hybrid", piece))
    assert (details["info_hash_v1"], details["info_hash_v2"]) == expected
    assert details["files"] == [{"path": "movie.mkv", "length": 600_000}]


def test_create_refuses_an_existing_output_unless_forced(capsys, tmp_path):
    data = tmp_path / "a.bin"
    data.write_bytes(b"\x07" * 40_000)
    out = tmp_path / "a.torrent"
    out.write_bytes(b"keep me")
    code, _, err = run_cli(capsys, "create", str(data), "-o", str(out), "-q")
    assert_one_line_error(code, err)
    assert "exists (use --force to overwrite it)" in err
    assert out.read_bytes() == b"keep me"
    code, _, err = run_cli(capsys, "create", str(data), "-o", str(out), "-q", "--force")
    assert code == 0, err
    assert out.read_bytes().startswith(b"d")


def test_create_source_tag_changes_the_infohash(capsys, tmp_path):
    data = tmp_path / "movie.mkv"
    data.write_bytes(b"\x05" * 50_000)
    hashes = {}
    for source in ("", "TEST"):
        out = tmp_path / f"movie{source}.torrent"
        args = ["create", str(data), "-o", str(out), "-q"] + (
            ["--source", source] if source else []
        )
        assert run_cli(capsys, *args)[0] == 0
        details = json.loads(run_cli(capsys, "inspect", str(out), "--json")[1])
        assert details["source"] == (source or None)
        hashes[source] = details["info_hash_v1"]
    assert hashes[""] != hashes["TEST"]


@pytest.mark.libtorrent
def test_inspect_reads_a_libtorrent_torrent(capsys, tmp_path):
    content = make_tree(tmp_path)
    path = tmp_path / "lt.torrent"
    path.write_bytes(
        lt_create(content, "hybrid", 16384, trackers=(("http://t.example/announce",),))
    )
    info = lt.torrent_info(str(path))

    code, out, _ = run_cli(capsys, "inspect", str(path), "--json")
    assert code == 0
    details = json.loads(out)
    assert details["info_hash_v1"] == str(info.info_hashes().v1)
    assert details["info_hash_v2"] == str(info.info_hashes().v2)
    assert details["trackers"] == [["http://t.example/announce"]]
    on_disk = sum(p.stat().st_size for p in content.rglob("*") if p.is_file())
    assert sum(f["length"] for f in details["files"]) == on_disk  # without libtorrent's pad files

    code, out, _ = run_cli(capsys, "inspect", str(path))
    assert code == 0
    assert "Some.Show.S01.1080p" in out
    assert str(info.info_hashes().v1) in out


def test_inspect_magnet(capsys):
    v1 = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
    uri = f"magnet:?xt=urn:btih:{v1}&dn=Some+Name&tr=udp%3A%2F%2Ft.example%3A6969"
    code, out, _ = run_cli(capsys, "inspect", uri, "--json")
    assert code == 0
    details = json.loads(out)
    assert details["info_hash_v1"] == v1
    assert details["info_hash_v2"] is None
    assert details["name"] == "Some Name"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not bencode at all",
        b"d4:infod4:name1:xee",  # info without pieces or length
        b"d8:announce3:abce",  # no info
        b"li1ei2ee",  # not a dictionary
        b"d4:infod6:lengthi-5e4:name1:x12:piece lengthi16384e6:pieces0:ee",
    ],
)
def test_inspect_malformed_torrent_is_one_line_error(capsys, tmp_path, content):
    path = tmp_path / "bad.torrent"
    path.write_bytes(content)
    assert_one_line_error(*run_cli(capsys, "inspect", str(path))[::2])


@pytest.mark.parametrize(
    "uri",
    [
        "magnet:?dn=no-hash",
        "magnet:?xt=urn:btih:nothex",
        "magnet:?xt=urn:btih:" + "a" * 39,
        "magnet:?xt=urn:btmh:1220" + "z" * 64,
        "magnet:",
    ],
)
def test_inspect_malformed_magnet_is_one_line_error(capsys, uri):
    assert_one_line_error(*run_cli(capsys, "inspect", uri)[::2])


def test_inspect_missing_file_is_one_line_error(capsys, tmp_path):
    assert_one_line_error(*run_cli(capsys, "inspect", str(tmp_path / "nope.torrent"))[::2])


def test_create_missing_path_is_one_line_error(capsys, tmp_path):
    code, _, err = run_cli(
        capsys, "create", str(tmp_path / "nope"), "-o", str(tmp_path / "x.torrent")
    )
    assert_one_line_error(code, err)


@pytest.mark.parametrize("size", ["1000", "12345", "0"])
def test_create_bad_piece_size_is_one_line_error(capsys, tmp_path, size):
    (tmp_path / "f").write_bytes(b"x")
    code, _, err = run_cli(
        capsys,
        "create",
        str(tmp_path / "f"),
        "-o",
        str(tmp_path / "x.torrent"),
        "--piece-size",
        size,
    )
    assert_one_line_error(code, err)


def test_create_two_versions_is_one_line_error(capsys, tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    code, _, err = run_cli(
        capsys, "create", str(tmp_path / "f"), "-o", str(tmp_path / "x.torrent"), "--v1", "--v2"
    )
    assert_one_line_error(code, err)
    assert code == 2


def test_create_unwritable_output_is_one_line_error(capsys, tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    code, _, err = run_cli(
        capsys,
        "create",
        str(tmp_path / "f"),
        "-o",
        str(tmp_path / "no" / "dir" / "x.torrent"),
        "-q",
    )
    assert_one_line_error(code, err)
