"""parse_query: Torznab requests as Prowlarr, Sonarr and Radarr send them, and Newznab's refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.errors import TorrentstackError
from torrentstack.site.torznab.query import (
    NEWZNAB_ERRORS,
    NewznabError,
    TorznabQuery,
    parse_query,
)


def refusal(params: dict[str, str], **limits: int) -> NewznabError:
    with pytest.raises(NewznabError) as caught:
        parse_query(params, **limits)
    return caught.value


def test_a_full_tv_search():
    query = parse_query(
        {
            "t": "tvsearch",
            "q": "Some Show",
            "cat": "5000,5030",
            "limit": "50",
            "offset": "150",
            "season": "1",
            "ep": "2",
            "imdbid": "tt0944947",
            "tvdbid": "121361",
            "tmdbid": "1399",
            "extended": "1",
            "apikey": "secret",
        }
    )
    assert query == TorznabQuery(
        function="tvsearch",
        q="Some Show",
        categories=(5000, 5030),
        limit=50,
        offset=150,
        season=1,
        episode="2",
        imdbid=944947,
        tvdbid=121361,
        tmdbid=1399,
        extended=True,
        apikey="secret",
    )


def test_defaults_when_only_t_is_given():
    assert parse_query({"t": "search"}) == TorznabQuery(function="search", limit=100, offset=0)


def test_empty_values_count_as_absent():
    query = parse_query({"t": "movie", "q": "", "cat": "  ", "limit": "", "imdbid": ""})
    assert query == TorznabQuery(function="movie")


def test_limit_default_and_max_are_arguments_and_limit_is_cut_to_the_max():
    assert parse_query({"t": "search"}, limit_default=25, limit_max=200).limit == 25
    assert (
        parse_query({"t": "search", "limit": "150"}, limit_default=25, limit_max=200).limit == 150
    )
    assert (
        parse_query({"t": "search", "limit": "5000"}, limit_max=200, limit_default=20).limit == 200
    )
    assert parse_query({"t": "search", "limit": "0"}).limit == 0


@pytest.mark.parametrize(("default", "maximum"), [(0, 100), (101, 100), (-1, 5)])
def test_impossible_limit_settings_are_a_programming_error(default, maximum):
    with pytest.raises(ValueError, match="limit_default"):
        parse_query({"t": "search"}, limit_default=default, limit_max=maximum)


def test_names_are_case_insensitive_and_the_function_too():
    query = parse_query({"T": "TVSearch", "Cat": "5040", "APIKEY": "k", "Q": "x"})
    assert (query.function, query.categories, query.apikey, query.q) == (
        "tvsearch",
        (5040,),
        "k",
        "x",
    )


@pytest.mark.parametrize("value", ["tt0944947", "TT0944947", "0944947", "944947", " tt0944947 "])
def test_imdbid_is_the_imdb_number_with_or_without_tt(value):
    assert parse_query({"t": "movie", "imdbid": value}).imdbid == 944947


@pytest.mark.parametrize(
    ("season", "ep", "expected"),
    [("1", "2", (1, "2")), ("S01", "E02", (1, "2")), ("s3", "e10", (3, "10")), ("2016", "12/20", (2016, "12/20"))],
)  # fmt: skip
def test_season_and_episode_forms(season, ep, expected):
    query = parse_query({"t": "tvsearch", "season": season, "ep": ep})
    assert (query.season, query.episode) == expected


def test_categories_are_deduplicated_in_order_and_may_be_spaced():
    assert parse_query({"t": "search", "cat": "5030, 5000,5030"}).categories == (5030, 5000)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("No", False)]
)
def test_extended_values(value, expected):
    assert parse_query({"t": "search", "extended": value}).extended is expected


def test_caps_does_not_read_search_parameters():
    query = parse_query({"t": "caps", "limit": "lots", "cat": "x", "apikey": "k"}, limit_default=30)
    assert query == TorznabQuery(function="caps", limit=30, apikey="k")


# Newznab's error table: (request, code). "movie-search" names a caps element, not a function.
REFUSALS = [
    ({}, 200),
    ({"t": ""}, 200),
    ({"q": "x"}, 200),
    ({"t": "nonsense"}, 202),
    ({"t": "movie-search"}, 202),
    ({"t": "music"}, 203),
    ({"t": "book"}, 203),
    ({"t": "details"}, 203),
    ({"t": "get"}, 203),
    ({"t": "register"}, 203),
    ({"t": "search", "cat": "50a0"}, 201),
    ({"t": "search", "cat": "5000,,5030"}, 201),
    ({"t": "search", "cat": "5000,"}, 201),
    ({"t": "search", "cat": "-5000"}, 201),
    ({"t": "search", "limit": "abc"}, 201),
    ({"t": "search", "limit": "-1"}, 201),
    ({"t": "search", "limit": "+5"}, 201),
    ({"t": "search", "limit": "1_0"}, 201),
    ({"t": "search", "limit": "\u0661"}, 201),  # ARABIC-INDIC DIGIT ONE: int() would take it
    ({"t": "search", "limit": "9" * 5000}, 201),  # past int()'s digit limit: still a 201
    ({"t": "search", "offset": "1.5"}, 201),
    ({"t": "search", "offset": "2147483648"}, 201),
    ({"t": "tvsearch", "season": "S"}, 201),
    ({"t": "tvsearch", "season": "one"}, 201),
    ({"t": "tvsearch", "ep": "E"}, 201),
    ({"t": "tvsearch", "ep": "12/2020"}, 201),
    ({"t": "tvsearch", "tvdbid": "x1"}, 201),
    ({"t": "movie", "imdbid": "tt"}, 201),
    ({"t": "movie", "imdbid": "nm0000123"}, 201),
    ({"t": "movie", "tmdbid": "12.0"}, 201),
    ({"t": "search", "extended": "maybe"}, 201),
    ({"t": "search", "q": "a\x00b"}, 201),  # no database column takes a NUL
    ({"t": "search", "q": "a\ud800"}, 201),  # nor a lone surrogate (no UTF-8 for it)
    ({"t": "caps", "apikey": "k\x00"}, 201),
]


@pytest.mark.parametrize(("params", "code"), REFUSALS)
def test_refusals_carry_the_newznab_code(params, code):
    error = refusal(params)
    assert error.code == code
    assert error.description.startswith(NEWZNAB_ERRORS[code])


def test_a_parameter_error_names_the_parameter():
    assert refusal({"t": "search", "cat": "x"}).description == "Incorrect parameter: cat"
    assert refusal({}).description == "Missing parameter: t"


def test_function_errors_use_the_standard_text():
    assert refusal({"t": "nope"}).description == "No such function"
    assert refusal({"t": "music"}).description == "Function not available"


def test_the_error_table_is_newznabs():
    expected = {
        100: "Incorrect user credentials",
        101: "Account suspended",
        200: "Missing parameter",
        201: "Incorrect parameter",
        202: "No such function",
        203: "Function not available",
        300: "No such item",
        900: "Unknown error",
        910: "API Disabled",
    }
    assert {code: NEWZNAB_ERRORS.get(code) for code in expected} == expected


def test_newznab_error_is_a_torrentstack_error_with_code_and_description():
    error = NewznabError(100)
    assert isinstance(error, TorrentstackError)
    assert (error.code, error.description) == (100, "Incorrect user credentials")
    assert str(error) == "100 Incorrect user credentials"
    custom = NewznabError(500, "Request limit reached")
    assert (custom.code, custom.description) == (500, "Request limit reached")


def test_a_code_outside_the_table_needs_a_description():
    with pytest.raises(ValueError, match="499"):
        NewznabError(499)


NAMES = ["q", "cat", "limit", "offset", "season", "ep", "imdbid", "tvdbid", "tmdbid"]
NAMES += ["extended", "apikey", "T", "Cat", "LIMIT", "Offset", "attrs", "rid"]
FUNCTIONS = ["caps", "search", "tvsearch", "movie", "music", "movie-search", "TVSEARCH", ""]
VALUES = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["1", "0", "yes", "S01", "E02", "12/20", "tt0944947", "5000,5030"]),
    st.from_regex(r"[Sst]{0,2}-?[0-9]{1,12}(,[0-9]{0,6})?(/[0-9]{1,3})?", fullmatch=True),
)
REQUESTS = st.builds(
    lambda function, others: others if function is None else {"t": function, **others},
    st.one_of(*[st.sampled_from(FUNCTIONS)] * 4, st.none(), st.text(max_size=8)),
    st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), VALUES, max_size=10),
)


@given(REQUESTS, st.integers(1, 500))
def test_any_query_is_parsed_or_refused_with_a_newznab_code(params, extra):
    limits = {"limit_default": min(extra, 100), "limit_max": max(extra, 100)}
    outcome: TorznabQuery | NewznabError
    try:
        outcome = parse_query(params, **limits)
    except NewznabError as error:
        outcome = error
    if isinstance(outcome, NewznabError):
        assert outcome.code in (200, 201, 202, 203)
        return
    query = outcome
    assert query.function in ("caps", "search", "tvsearch", "movie")
    assert 0 <= query.limit <= limits["limit_max"]
    assert 0 <= query.offset <= 2**31 - 1
    assert all(0 <= category <= 2**31 - 1 for category in query.categories)
    assert len(set(query.categories)) == len(query.categories)
    assert query.episode is None or query.episode.replace("/", "").isdecimal()
    assert query.q is None or (query.q and query.q == query.q.strip())
    assert not any("\x00" in text for text in (query.q or "", query.apikey or ""))
