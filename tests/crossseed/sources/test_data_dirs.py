"""dataDirs: candidate roots by depth, cross-seed's skip rules, paths relative to the parent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from torrentstack.crossseed.sources.data_dirs import (
    DataDirs,
    candidate_roots,
    data_searchee,
    is_ignored,
)


def write(path: Path, size: int = 10) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"d" * size)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write(root / "Movie.2020.mkv", 100)
    write(root / "readme.txt")  # loose non-video file: skipped
    write(root / "Show.S01" / "Show.S01E01.mkv", 50)
    write(root / "Show.S01" / "Show.S01E02.mkv", 40)
    write(root / "Show.S01" / "Sample" / "sample.mkv", 5)  # inside a root: part of it
    write(root / "Show.S01" / "Deeper" / "Show.S01E03.mkv", 30)  # depth 3: not a root
    write(root / "Sample" / "x.mkv")  # an ignored folder at the top: skipped
    write(root / "Disc" / "BDMV" / "index.bdmv")
    (root / "Empty").mkdir()
    return root


def test_candidate_roots_reach_max_depth_and_skip_by_cross_seeds_rules(data_dir: Path):
    roots = {os.path.relpath(r, data_dir) for r in candidate_roots(str(data_dir), 2)}
    assert roots == {
        "Movie.2020.mkv",
        "Show.S01",
        "Show.S01/Show.S01E01.mkv",
        "Show.S01/Show.S01E02.mkv",
        "Show.S01/Deeper",  # a folder at depth 2 is a root; what is below it is not
        "Disc",
        "Empty",
    }


def test_depth_one_takes_only_the_entries_of_the_data_dir(data_dir: Path):
    roots = {os.path.relpath(r, data_dir) for r in candidate_roots(str(data_dir), 1)}
    assert roots == {"Movie.2020.mkv", "Show.S01", "Disc", "Empty"}


def test_skip_rules():
    assert is_ignored("/x/SAMPLE", True) and is_ignored("/x/video_ts", True)
    assert is_ignored("/x/proof", True) and is_ignored("/x/Certificate", True)
    assert not is_ignored("/x/Samples", True)  # the whole name, not a part of it
    assert is_ignored("/x/info.nfo", False) and not is_ignored("/x/a.mkv", False)


def test_a_folder_searchee_has_paths_relative_to_its_parent(data_dir: Path):
    os.utime(data_dir / "Show.S01" / "Show.S01E02.mkv", (1_000, 2_000_000_000))
    searchee = data_searchee(str(data_dir / "Show.S01"))
    assert searchee is not None
    assert searchee.name == "Show.S01"
    assert searchee.path == str(data_dir / "Show.S01")
    assert [(f.path, f.length) for f in searchee.files] == [
        ("Show.S01/Show.S01E01.mkv", 50),
        ("Show.S01/Show.S01E02.mkv", 40),
        ("Show.S01/Deeper/Show.S01E03.mkv", 30),
        ("Show.S01/Sample/sample.mkv", 5),
    ]  # a folder's own files, then its subfolders', each sorted
    assert searchee.length == 125
    assert searchee.mtime == 2_000_000_000  # the newest file's
    assert searchee.source.value == "data"


def test_a_file_searchee_is_its_own_name(data_dir: Path):
    searchee = data_searchee(str(data_dir / "Movie.2020.mkv"))
    assert searchee is not None
    assert [(f.path, f.length) for f in searchee.files] == [("Movie.2020.mkv", 100)]
    assert searchee.path == str(data_dir / "Movie.2020.mkv")


async def test_data_dirs_list_every_searchee_with_files(data_dir: Path):
    searchees = await DataDirs([str(data_dir)]).searchees()
    names = sorted(s.name for s in searchees)
    # the empty folder has no file: no searchee
    assert names == sorted(
        ["Movie.2020.mkv", "Show.S01", "Show.S01E01.mkv", "Show.S01E02.mkv", "Deeper", "Disc"]
    )
    (deeper,) = [s for s in searchees if s.name == "Deeper"]
    assert [f.path for f in deeper.files] == ["Deeper/Show.S01E03.mkv"]
