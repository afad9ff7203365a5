"""Query building: cross-seed's shapes per media type, caps fallbacks, ids, the search key."""

from __future__ import annotations

import pytest

from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.release import parse_release
from torrentstack.crossseed.torznab.caps import ALL_CAPS, Caps, Categories
from torrentstack.crossseed.torznab.queries import (
    MediaIds,
    Query,
    cleanse,
    rss_query,
    search_key,
    search_queries,
)

E, S, M = MediaType.EPISODE, MediaType.SEASON, MediaType.MOVIE
SEARCH_ONLY = Caps(search=True, search_params=frozenset({"q"}), categories=Categories(tv=True))

CASES = [
    # name, media, caps, expected params
    (
        "Show.Name.S01E02.1080p.WEB-DL.DDP5.1.H.264-GRP.mkv",
        E,
        ALL_CAPS,
        {"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2"},
    ),
    (
        "Show.Name.2019.S01E02.1080p-GRP",
        E,
        ALL_CAPS,
        {"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2"},
    ),
    (
        "The.Show.2024.10.05.720p.HDTV.x264-GRP",
        E,
        ALL_CAPS,
        {"t": "tvsearch", "q": "The Show", "season": "2024", "ep": "10/05"},
    ),
    ("Show Name Season 2 1080p", S, ALL_CAPS, {"t": "tvsearch", "q": "Show Name", "season": "2"}),
    (
        "Show.Name.S03.1080p.BluRay-GRP",
        S,
        ALL_CAPS,
        {"t": "tvsearch", "q": "Show Name", "season": "3"},
    ),
    (
        "The.Movie.2019.2160p.UHD.BluRay.x265-OTHER",
        M,
        ALL_CAPS,
        {"t": "movie", "q": "The Movie 2019"},
    ),
    (
        "[SubsPlease] Some Anime - 12 (1080p) [ABCDEF12].mkv",
        MediaType.ANIME,
        ALL_CAPS,
        {"t": "search", "q": "Some Anime 12"},
    ),
    (
        "Some.Random.Video.1080p.WEB-DL-GRP",
        MediaType.VIDEO,
        ALL_CAPS,
        {"t": "search", "q": "Some Random Video"},
    ),
    ("Some.Random.Video-GRP", MediaType.VIDEO, ALL_CAPS, {"t": "search", "q": "Some Random Video"}),
    (
        "Album - Artist (2020) [FLAC]",
        MediaType.AUDIO,
        ALL_CAPS,
        {"t": "search", "q": "Album - Artist 2020"},
    ),
    ("Some_Book.epub", MediaType.BOOK, ALL_CAPS, {"t": "search", "q": "Some Book"}),
    ("random.files.pack", MediaType.OTHER, ALL_CAPS, {"t": "search", "q": "random files pack"}),
    # the indexer lacks the mode: the cleaned name through t=search
    (
        "Show.Name.S01E02.1080p-GRP",
        E,
        SEARCH_ONLY,
        {"t": "search", "q": "Show Name S01E02 1080p-GRP"},
    ),
    ("Show.Name.S03.1080p-GRP", S, SEARCH_ONLY, {"t": "search", "q": "Show Name S03 1080p-GRP"}),
    ("The.Movie.2019.1080p-GRP", M, SEARCH_ONLY, {"t": "search", "q": "The Movie 2019 1080p-GRP"}),
]


@pytest.mark.parametrize(("name", "media", "caps", "expected"), CASES)
def test_query_shapes(name, media, caps, expected):
    (query,) = search_queries(parse_release(name), media, caps)
    assert query.params() == expected


def test_tv_ids_replace_q_when_supported():
    caps = Caps(search=True, tv_search=True, tv_params=frozenset({"q", "season", "ep", "tvdbid"}))
    ids = MediaIds(series=True, tvdbid="81189", imdbid="tt0903747")
    (query,) = search_queries(parse_release("Show.Name.S01E02.1080p-GRP"), E, caps, ids)
    assert query.params() == {"t": "tvsearch", "season": "1", "ep": "2", "tvdbid": "81189"}


def test_ids_the_indexer_does_not_take_leave_q():
    caps = Caps(search=True, tv_search=True, tv_params=frozenset({"q", "season", "ep"}))
    ids = MediaIds(series=True, tvdbid="81189")
    (query,) = search_queries(parse_release("Show.Name.S01E02.1080p-GRP"), E, caps, ids)
    assert query.params()["q"] == "Show Name"


def test_movie_ids():
    caps = Caps(search=True, movie_search=True, movie_params=frozenset({"q", "imdbid", "tmdbid"}))
    ids = MediaIds(series=False, imdbid="tt0111161", tmdbid="278", tvdbid="1")
    (query,) = search_queries(parse_release("The.Movie.2019.1080p-GRP"), M, caps, ids)
    assert query.params() == {"t": "movie", "imdbid": "tt0111161", "tmdbid": "278"}
    # series ids are not sent to movie-search
    (query,) = search_queries(
        parse_release("The.Movie.2019.1080p-GRP"), M, caps, MediaIds(True, "1")
    )
    assert query.params() == {"t": "movie", "q": "The Movie 2019"}


@pytest.mark.parametrize(
    ("name", "media", "key"),
    [
        ("Show.Name.S01E01.1080p-GRP", E, "show name.s1.e1"),
        ("The.Show.2024.10.05.720p-GRP", E, "the show.s2024.e10/05"),
        ("Show Name Season 2", S, "show name.s2"),
    ],
)
def test_search_key_matches_cross_seeds_measurements(name, media, key):
    assert search_key(parse_release(name), media) == key


def test_rss_query():
    assert rss_query(100, 200).params() == {"t": "search", "q": "", "limit": "100", "offset": "200"}


def test_cleanse():
    assert cleanse("[Group] Some.Title_(2020) 「x」 [1080p]") == "Some Title 2020"


def test_query_params_leave_unset_values_out():
    assert Query("caps").params() == {"t": "caps"}
