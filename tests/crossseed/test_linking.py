"""Linking a matched torrent's files into a link dir: the plan, each link type, refusals, undo."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from torrentstack.crossseed import linking
from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.linking import (
    LinkError,
    LinkRefused,
    LinkType,
    destination_dir,
    link_metafile,
    link_planned,
    plan_links,
)
from torrentstack.crossseed.searchee import File, Metafile, Searchee, files_of


def meta(name: str, *files: tuple[str, int]) -> Metafile:
    return Metafile(name=name, info_hash="b" * 40, piece_length=16384, files=files_of(files))


def write(path: Path, size: int, fill: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fill * size)
    return path


@pytest.fixture
def data(tmp_path: Path) -> Searchee:
    """A data searchee: tmp/data/Show.S01 with two episodes and an .nfo."""
    root = tmp_path / "data" / "Show.S01"
    write(root / "Show.S01E01.mkv", 3000, b"1")
    write(root / "Show.S01E02.mkv", 2000, b"2")
    write(root / "Show.S01.nfo", 10, b"n")
    files = files_of(
        [("Show.S01/Show.S01E01.mkv", 3000), ("Show.S01/Show.S01E02.mkv", 2000),
         ("Show.S01/Show.S01.nfo", 10)]
    )  # fmt: skip
    return Searchee(name="Show.S01", files=files, path=str(root))


# ---------------------------------------------------------------------------- planning (pure)


def test_destination_is_per_tracker_or_flat():
    assert destination_dir("/links", "TrackerA") == "/links/TrackerA"
    assert destination_dir("/links", "a/b") == "/links/a_b"
    assert destination_dir("/links", "TrackerA", flat=True) == "/links"


def test_files_pair_by_size_then_by_name():
    searchee = Searchee(
        name="Show",
        files=files_of([("Show/a.mkv", 100), ("Show/b.mkv", 100), ("Show/c.nfo", 7)]),
        save_path="/data",
        info_hash="a" * 40,
    )
    candidate = meta("Renamed", ("Renamed/b.mkv", 100), ("Renamed/x.nfo", 7), ("Renamed/z", 5))

    plan = plan_links(candidate, searchee, Decision.MATCH_SIZE_ONLY, "/links/T")

    assert plan.links == (
        ("/data/Show/b.mkv", "/links/T/Renamed/b.mkv"),  # two of size 100: the one named b.mkv
        ("/data/Show/c.nfo", "/links/T/Renamed/x.nfo"),  # one of size 7: whatever its name
    )
    assert plan.unmatched == (File("Renamed/z", 5),)


def test_an_exact_match_links_each_path_to_itself(data: Searchee):
    candidate = meta("Show.S01", *[(f.path, f.length) for f in data.files])
    plan = plan_links(candidate, data, Decision.MATCH, "/links")
    parent = os.path.dirname(data.path)
    assert plan.links == tuple((f"{parent}/{f.path}", f"/links/{f.path}") for f in candidate.files)


def test_a_virtual_searchee_links_from_its_absolute_paths():
    searchee = Searchee(name="Show S01", files=files_of([("/tv/Show.S01E01.mkv", 9)]))
    plan = plan_links(
        meta("Show.S01E01.mkv", ("Show.S01E01.mkv", 9)), searchee, Decision.MATCH, "/l"
    )
    assert plan.links == (("/tv/Show.S01E01.mkv", "/l/Show.S01E01.mkv"),)


# ---------------------------------------------------------------------------- link types


def candidate_for(data: Searchee) -> Metafile:
    return meta("Show.S01.OTHER", ("Show.S01.OTHER/e1.mkv", 3000), ("Show.S01.OTHER/e2.mkv", 2000))


async def test_hardlinks_share_the_inode(data: Searchee, tmp_path: Path):
    dest = str(tmp_path / "links" / "T")
    result = await link_metafile(
        candidate_for(data), data, Decision.MATCH_SIZE_ONLY, dest, LinkType.HARDLINK
    )
    linked = Path(dest) / "Show.S01.OTHER" / "e1.mkv"
    assert linked.stat().st_ino == (Path(data.path) / "Show.S01E01.mkv").stat().st_ino
    assert len(result.linked) == 2 and result.linked_new_files


def test_symlinks_point_at_absolute_symlink_free_sources(
    data: Searchee, tmp_path: Path, monkeypatch
):
    # the source file is itself a symlink, reached through a relative working directory
    real = write(tmp_path / "elsewhere" / "real.mkv", 3000, b"1")
    episode = Path(data.path) / "Show.S01E01.mkv"
    episode.unlink()
    episode.symlink_to(os.path.relpath(real, episode.parent))
    monkeypatch.chdir(tmp_path)

    plan = plan_links(candidate_for(data), data, Decision.MATCH_SIZE_ONLY, "links")
    link_planned(plan, LinkType.SYMLINK)

    target = os.readlink(tmp_path / "links" / "Show.S01.OTHER" / "e1.mkv")
    assert os.path.isabs(target) and target == str(real)


async def test_existing_destinations_are_left_alone(data: Searchee, tmp_path: Path):
    dest = tmp_path / "links"
    write(dest / "Show.S01.OTHER" / "e1.mkv", 3000, b"?")
    result = await link_metafile(
        candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest), LinkType.HARDLINK
    )
    assert result.existing == (str(dest / "Show.S01.OTHER" / "e1.mkv"),)
    assert result.linked == (str(dest / "Show.S01.OTHER" / "e2.mkv"),)
    assert (dest / "Show.S01.OTHER" / "e1.mkv").read_bytes() == b"?" * 3000


def reflink_supported(path: Path) -> bool:
    src, dst = write(path / "probe-src", 4096), path / "probe-dst"
    try:
        linking.link_file(str(src), str(dst), LinkType.REFLINK)
    except LinkRefused:
        return False
    finally:
        src.unlink()
        dst.unlink(missing_ok=True)
    return True


async def test_reflink_where_the_file_system_cannot_is_a_clear_error(data: Searchee, tmp_path):
    if reflink_supported(tmp_path):
        pytest.skip("this file system clones files (btrfs/XFS): nothing refuses here")
    dest = tmp_path / "links"
    with pytest.raises(LinkRefused) as caught:
        await link_metafile(
            candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest), LinkType.REFLINK
        )
    error = caught.value
    assert error.link_type is LinkType.REFLINK
    assert error.source == f"{data.path}/Show.S01E01.mkv"
    assert error.destination == f"{dest}/Show.S01.OTHER/e1.mkv"
    assert (
        "reflink" in str(error) and error.source in str(error) and error.destination in str(error)
    )
    assert not dest.exists()  # the folders it made are gone again


async def test_reflink_or_copy_falls_back_to_a_copy(data: Searchee, tmp_path: Path):
    dest = tmp_path / "links"
    result = await link_metafile(
        candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest), LinkType.REFLINK_OR_COPY
    )
    copied = dest / "Show.S01.OTHER" / "e1.mkv"
    assert copied.read_bytes() == b"1" * 3000
    assert copied.stat().st_ino != (Path(data.path) / "Show.S01E01.mkv").stat().st_ino
    assert not copied.is_symlink() and len(result.linked) == 2


# ---------------------------------------------------------------------------- failures and undo


async def test_a_hardlink_across_devices_is_refused_and_undone(
    data: Searchee, tmp_path, monkeypatch
):
    real_link = os.link
    calls = []

    def link(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 2:  # the first file links, the second is on "another device"
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    dest = tmp_path / "links" / "T"
    with pytest.raises(LinkRefused) as caught:
        await link_metafile(
            candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest), LinkType.HARDLINK
        )
    assert caught.value.errno == errno.EXDEV and caught.value.link_type is LinkType.HARDLINK
    assert "hardlink" in str(caught.value) and "one file system" in str(caught.value)
    assert len(calls) == 2
    assert not (tmp_path / "links").exists()  # the first link and the folders made are undone
    assert (Path(data.path) / "Show.S01E01.mkv").exists()  # the source is untouched


def test_a_real_cross_device_hardlink_is_refused(tmp_path: Path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system at hand")
    source = write(tmp_path / "a.mkv", 10)
    with pytest.raises(LinkRefused) as caught:
        linking.link_file(str(source), str(shm / f"ts-link-test-{os.getpid()}"), LinkType.HARDLINK)
    assert caught.value.errno == errno.EXDEV


async def test_a_missing_source_fails_before_linking_anything(data: Searchee, tmp_path: Path):
    (Path(data.path) / "Show.S01E02.mkv").unlink()
    dest = tmp_path / "links"
    with pytest.raises(LinkError) as caught:
        await link_metafile(
            candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest), LinkType.HARDLINK
        )
    assert not isinstance(caught.value, LinkRefused)
    assert caught.value.errno == errno.ENOENT
    assert not dest.exists()


async def test_missing_sources_may_be_skipped(data: Searchee, tmp_path: Path):
    (Path(data.path) / "Show.S01E02.mkv").unlink()
    dest = tmp_path / "links"
    result = await link_metafile(
        candidate_for(data),
        data,
        Decision.MATCH_SIZE_ONLY,
        str(dest),
        LinkType.HARDLINK,
        ignore_missing=True,
    )
    assert result.linked == (str(dest / "Show.S01.OTHER" / "e1.mkv"),)


def test_undo_removes_what_a_linking_made(data: Searchee, tmp_path: Path):
    dest = tmp_path / "links" / "T"
    plan = plan_links(candidate_for(data), data, Decision.MATCH_SIZE_ONLY, str(dest))
    result = link_planned(plan, LinkType.HARDLINK)
    assert (dest / "Show.S01.OTHER" / "e1.mkv").exists()
    linking.unlink(result)
    assert not (tmp_path / "links").exists()
