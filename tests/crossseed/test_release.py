"""Release-name parsing: a table of real-world names, the helpers and fuzzing for totality."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.crossseed.release import (
    Release,
    element_key,
    key_title,
    parse_release,
    same_group,
    same_resolution,
    strip_extension,
)

# name, title, key_title, year, season, episode, pack, resolution, source, group, element
CASES = [
    (
        "Show.Name.S01E02.1080p.WEB-DL.DDP5.1.H.264-GRP",
        "Show.Name",
        "showname",
        None,
        1,
        2,
        False,
        "1080p",
        None,
        "GRP",
        "S1.2",
    ),
    (
        "Show.Name.S01.1080p.AMZN.WEB-DL-GRP",
        "Show.Name",
        "showname",
        None,
        1,
        None,
        True,
        "1080p",
        "AMZN",
        "GRP",
        "S1",
    ),
    (
        "Show Name Season 2 1080p",
        "Show Name",
        "showname",
        None,
        2,
        None,
        True,
        "1080p",
        None,
        None,
        "S2",
    ),
    (
        "Show.Name.S01E01E02.720p.HDTV.x264-GRP",
        "Show.Name",
        "showname",
        None,
        1,
        1,
        False,
        "720p",
        None,
        "GRP",
        "S1.1",
    ),
    (
        "The.Daily.Show.2024.03.15.Guest.1080p.WEB.h264-GRP",
        "The.Daily.Show",
        "thedailyshow",
        2024,
        None,
        None,
        False,
        "1080p",
        None,
        "GRP",
        "S2024.03.15",
    ),
    (
        "Movie.Title.2021.2160p.UHD.BluRay.x265-GRP",
        "Movie.Title",
        "movietitle",
        2021,
        None,
        None,
        False,
        "2160p",
        None,
        "GRP",
        "2021",
    ),
    (
        "Blade.Runner.2049.2017.1080p.BluRay.x264-GRP",
        "Blade.Runner.2049",
        "bladerunner",
        2017,
        None,
        None,
        False,
        "1080p",
        None,
        "GRP",
        "2017",
    ),
    (
        "Show.Name.2019.S03E10.1080p.DSNP.WEB-DL-GRP",
        "Show.Name.2019",
        "showname",
        2019,
        3,
        10,
        False,
        "1080p",
        "DSNP",
        "GRP",
        "S3.10",
    ),
    (
        "[SubsPlease] Show - 05 [1080p].mkv",
        "Show",
        "show",
        None,
        None,
        None,
        False,
        "1080p",
        None,
        None,
        "5",
    ),
    (
        "Movie.2020.1080p.BluRay.x264-KILLERS[rarbg]",
        "Movie",
        "movie",
        2020,
        None,
        None,
        False,
        "1080p",
        None,
        "KILLERS",
        "2020",
    ),
    (
        "Spider-Man.2002.1080p.BluRay.x264",
        "Spider-Man",
        "spiderman",
        2002,
        None,
        None,
        False,
        "1080p",
        None,
        None,
        "2002",
    ),
    ("Show.S01E01.1080p.WEB-DL", "Show", "show", None, 1, 1, False, "1080p", None, None, "S1.1"),
    (
        "Amélie.2001.1080p.BluRay.x264-GRP.mkv",
        "Amélie",
        "amélie",
        2001,
        None,
        None,
        False,
        "1080p",
        None,
        "GRP",
        "2001",
    ),
    (
        "Show.Name.S01E02.REPACK.1080p.NF.WEB-DL-GRP",
        "Show.Name",
        "showname",
        None,
        1,
        2,
        False,
        "1080p",
        "NF",
        "GRP",
        "S1.2",
    ),
    (
        "Movie.Title.2019.4K.HMAX.WEB-DL.x265-Grp",
        "Movie.Title",
        "movietitle",
        2019,
        None,
        None,
        False,
        "2160p",
        "HMAX",
        "Grp",
        "2019",
    ),
    (
        "Show.S02E03.1080i.HDTV.MPEG2-GRP.ts",
        "Show",
        "show",
        None,
        2,
        3,
        False,
        "1080i",
        None,
        "GRP",
        "S2.3",
    ),
    ("Just Some Words", None, None, None, None, None, False, None, None, None, None),
]


@pytest.mark.parametrize(
    (
        "name",
        "title",
        "key",
        "year",
        "season",
        "episode",
        "pack",
        "res",
        "source",
        "group",
        "element",
    ),
    CASES,
)
def test_parse_table(
    name: str,
    title: str | None,
    key: str | None,
    year: int | None,
    season: int | None,
    episode: int | None,
    pack: bool,
    res: str | None,
    source: str | None,
    group: str | None,
    element: str | None,
) -> None:
    r = parse_release(name)
    assert (r.title, r.key_title, r.year, r.season, r.episode) == (
        title,
        key,
        year,
        season,
        episode,
    )
    assert (r.is_season_pack, r.resolution, r.source, r.group) == (pack, res, source, group)
    assert element_key(r) == element


def test_multi_episode_and_daily_details() -> None:
    assert parse_release("Show.S01E01E02.720p-GRP").last_episode == 2
    assert parse_release("Show.S01E01.720p-GRP").last_episode is None
    daily = parse_release("Show.2024.03.15.1080p-GRP")
    assert daily.air_date == datetime.date(2024, 3, 15)
    assert parse_release("Show.2024.13.45.1080p-GRP").air_date is None


def test_anime() -> None:
    r = parse_release("[SubsPlease] Some Anime - 12v2 (1080p) [ABCD1234].mkv")
    assert (r.title, r.anime_release, r.anime_group, r.group, r.version) == (
        "Some Anime",
        12,
        "SubsPlease",
        None,
        2,
    )
    assert element_key(r) == "12"


def test_repack_proper() -> None:
    assert parse_release("Show.S01E01.REPACK.1080p-GRP").repack is True
    assert parse_release("Show.S01E01.REPACK.1080p-GRP").proper is False
    assert parse_release("Movie.2020.PROPER.1080p-GRP").proper is True
    assert parse_release("Movie.2020.1080p-GRP").repack is False


def test_bad_groups_and_quirks() -> None:
    assert parse_release("Show.S01E01.1080p.WEB.x264").group is None
    assert parse_release("Movie.2020.1080p.BluRay-1080p").group is None
    assert parse_release("Movie.2020.1080p.WEB-DL.H-264").group is None
    # cross-seed's measured quirk: an episode title after ` - ` reads as the group
    assert parse_release("Show Name (2019) - S02E03 - Title [WEBDL-1080p]").group == "Title"


def test_key_title() -> None:
    assert key_title("The.Office.US") == "theofficeus"
    assert key_title("Blade Runner 2049") == "bladerunner"
    assert key_title("1917") == "1917"  # too short to lose its year
    assert key_title("...") is None


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Show.S01E01-GRP.mkv", "Show.S01E01-GRP"),
        ("a.torrent", "a"),
        ("Show.S01E01-GRP", "Show.S01E01-GRP"),
        ("Movie.H.264", "Movie.H.264"),
        ("X.MP4", "X"),
    ],
)
def test_strip_extension(name: str, stem: str) -> None:
    assert strip_extension(name) == stem


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Show.S01E01.1080p-GRP", "Show.S01E01.720p-grp.mkv", True),
        ("Show.S01E01-GRP", "Show.S01E01-GRPx", True),
        ("Show.S01E01-GRP", "Show.S01E01-OTHER", False),
        ("Show.S01E01-GRP", "Show.S01E01.1080p.WEB", True),
        ("[A] Show - 01 [1080p]", "[B] Show - 01 [1080p]", True),
    ],
)
def test_same_group(a: str, b: str, same: bool) -> None:
    assert same_group(a, b) is same
    assert same_group(parse_release(b), parse_release(a)) is same


def test_same_resolution() -> None:
    assert same_resolution("Show.S01E01.1080i-G", "Show.S01E01.1080p-G")
    assert not same_resolution("Show.S01E01.720p-G", "Show.S01E01.1080p-G")
    assert same_resolution("Show.S01E01-G", "Show.S01E01.1080p-G")


@given(st.text())
def test_parse_is_total_and_stable(name: str) -> None:
    r = parse_release(name)
    assert isinstance(r, Release)
    assert r.name == name
    assert element_key(r) == element_key(parse_release(name))
    key = element_key(r)
    assert key is None or key != ""
