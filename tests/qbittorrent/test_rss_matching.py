"""Rule matching as qBittorrent's `AutoDownloadRule::matches`/`accepts` (release-4.6.7, 5.1.4):
tables of titles against mustContain/mustNotContain, episode filters, smart filters, ignoreDays."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.qbittorrent.rss_article import Article
from torrentstack.qbittorrent.rss_matching import (
    MatchSettings,
    accept,
    episode_name,
    match,
    matches_episode_filter,
    settings,
    wildcard_pattern,
)
from torrentstack.qbittorrent.rss_rules import Rule, parse_definition, rule_from_json

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FIVE = MatchSettings()
FOUR = settings("\n".join(MatchSettings().smart_filters), True, five=False)


def article(title: str, date: datetime = NOW) -> Article:
    return Article(id=title, title=title, date=date, torrent_url=f"magnet:?dn={title}")


def rule(**definition: object) -> Rule:
    return rule_from_json(dict(definition), "r")


def matched(title: str, options: MatchSettings = FIVE, **definition: object) -> bool:
    return match(rule(**definition), article(title), options) is not None


WILDCARDS = [
    # (mustContain, mustNotContain, title, matches)
    ("", "", "Anything at all", True),
    ("punisher", "", "The.PUNISHER.S01E01.720p", True),  # case-insensitive substring
    ("The *Punisher*", "", "The Punisher S01", True),  # words in any order, each a wildcard
    ("Punisher The", "", "The Punisher S01", True),
    ("The*Punisher", "", "The.Punisher", True),
    ("The*Punisher", "", "Punisher The", False),
    ("720? x264", "", "Show 720p x264", True),
    ("720? x264", "", "x264 Show 720", False),  # ? is exactly one character
    ("foo|bar", "", "has bar in it", True),  # | separates alternatives
    ("foo|bar", "", "has baz in it", False),
    ("foo|", "", "anything", True),  # the empty alternative matches all
    ("a.b", "", "axb", False),  # the dot is literal in a wildcard
    ("a.b", "", "a.b", True),
    ("(x)", "", "(x) y", True),  # parentheses literal
    ("[abc]1", "", "b1", True),  # character classes
    ("[!abc]1", "", "b1", False),
    ("[!abc]1", "", "d1", True),
    ("[abc", "", "[abc", False),  # an unclosed class is an invalid pattern: no match
    ("x264", "720p", "Show 720p x264", False),  # mustNotContain rejects
    ("x264", "1080p|720p", "Show 720p x264", False),
    ("x264", "1080p|2160p", "Show 720p x264", True),
    ("x264", "foo|", "Show 720p x264", False),  # an empty alternative rejects all
    ("x264", "720p HDTV", "Show 720p x264", True),  # all words must be there to reject
    ("x264", "720p HDTV", "Show 720p HDTV x264", False),
    ("   ", "", "anything", True),  # whitespace only: no words, matches
    ("a*b", "", "a/b", True),  # 5.1: `*` crosses `/`
]


@pytest.mark.parametrize(("must", "must_not", "title", "expected"), WILDCARDS)
def test_wildcards(must: str, must_not: str, title: str, expected: bool) -> None:
    assert matched(title, mustContain=must, mustNotContain=must_not) is expected


def test_4_6_wildcards_stop_at_slashes() -> None:
    assert not matched("a/b", FOUR, mustContain="a*b")
    assert not matched("a/b", FOUR, mustContain="a?b")
    assert matched("a-b", FOUR, mustContain="a?b")


REGEXES = [
    ("^The Punisher", "", "the punisher s01", True),
    ("^The Punisher", "", "Not The Punisher", False),
    ("S0[1-3]E\\d+", "", "Show S02E10", True),
    ("foo|bar", "", "bar", True),  # | is the regex's own alternation
    ("x264", "720p|1080p", "Show 1080p x264", False),
    ("a b", "", "b a", False),  # spaces are literal in a regex
    ("(unclosed", "", "(unclosed", False),  # an invalid regex matches nothing
    ("x264", "(unclosed", "x264", True),  # ... and rejects nothing
    ("", "", "anything", True),
    ("(?<show>Show) S(?<s>\\d+)", "", "Show S01", True),  # PCRE's named groups
    ("(?<=Show )S01", "", "Show S01", True),  # lookbehinds stay
    ("(?<!Show )S01", "", "Show S01", False),
]


@pytest.mark.parametrize(("must", "must_not", "title", "expected"), REGEXES)
def test_regexes(must: str, must_not: str, title: str, expected: bool) -> None:
    assert matched(title, useRegex=True, mustContain=must, mustNotContain=must_not) is expected


EPISODES = [
    # (episodeFilter, title, matches)
    ("", "Anything", True),
    ("1x01;", "Show S01E01 720p", True),
    ("1x01;", "Show s1e1", True),
    ("1x01;", "Show 1x01", True),
    ("1x01;", "Show 1x1", True),
    ("1x01;", "Show S01E02", False),
    ("1x01;", "Show S01E010", False),  # the next character must not be a digit
    ("1x01;", "Show S01E01E02", True),
    ("1x01;", "Show S01.E01", True),
    ("1x01;", "Show S01 E01", True),
    ("1x1;2;5;", "Show S01E05", True),  # a list
    ("1x1;2;5;", "Show S01E03", False),
    ("1x01-;", "Show S01E01", True),  # onwards
    ("1x01-;", "Show S01E99", True),
    ("1x01-;", "Show S02E01", True),  # later seasons too
    ("2x03-;", "Show S01E10", False),
    ("2x03-;", "Show S02E02", False),
    ("2x03-;", "Show 2x04", True),
    ("2x3-5;", "Show S02E03", True),  # a closed range
    ("2x3-5;", "Show S02E05", True),
    ("2x3-5;", "Show S02E06", False),
    ("2x3-5;", "Show S03E04", False),  # only its season
    ("2x5-3;", "Show S02E04", False),  # a reversed range is ignored
    ("2x5-3;4;", "Show S02E04", True),
    ("1x01", "Show S01E01", False),  # no final ";": the filter is not valid, nothing matches
    ("x01;", "Show S01E01", False),
    ("12345x1;", "Show S12345E01", False),  # seasons have up to 4 digits
    ("1X01;", "Show S01E01", True),  # the x is case-insensitive
    ("1x0;", "Show S01E00", True),  # all zeros: episode zero
    ("1x-3;", "Show S01E02", True),  # "-3": from 0 to 3
    ("1x01-;", "No episode here", False),
    ("1x01;", "Show.S01E01.REPACK", True),
    ("1x(;", "Show S01E01", False),  # an item that is no pattern matches nothing
]


@pytest.mark.parametrize(("episode_filter", "title", "expected"), EPISODES)
def test_episode_filter(episode_filter: str, title: str, expected: bool) -> None:
    assert matches_episode_filter(episode_filter, title) is expected
    assert matched(title, episodeFilter=episode_filter) is expected


EPISODE_NAMES = [
    ("Show.S01E05.720p", "1x5"),
    ("Show 01x05", "1x5"),
    ("Show s10e100", "10x100"),
    ("News 2017.01.31", "2017.01.31"),
    ("News 31-01-2017", "31-01-2017"),
    ("Show_S02E03_", "2x3"),
    ("Nothing", ""),
    ("Show S01E05 1x06", "1x5"),  # the first
]


@pytest.mark.parametrize(("title", "expected"), EPISODE_NAMES)
def test_episode_names(title: str, expected: str) -> None:
    assert episode_name(title) == expected


def take(r: Rule, title: str, options: MatchSettings = FIVE) -> Rule | None:
    return accept(r, article(title), options)


def test_smart_filter_takes_each_episode_once_and_repacks_after() -> None:
    r = rule(smartFilter=True, mustContain="Show")
    first = take(r, "Show S01E05 720p")
    assert first is not None and first.previously_matched == ("1x5",)
    assert take(first, "Show S01E05 1080p") is None  # the same episode again
    repack = take(first, "Show S01E05 REPACK")
    assert repack is not None and repack.previously_matched == ("1x5", "1x5-REPACK")
    assert take(repack, "Show S01E05 REPACK 1080p") is None
    proper = take(repack, "Show S01E05 PROPER")
    assert proper is not None and proper.previously_matched[-1] == "1x5-PROPER"
    both = take(first, "Show S01E05 PROPER REPACK")
    assert both is not None
    assert both.previously_matched == ("1x5", "1x5-REPACK-PROPER", "1x5-REPACK", "1x5-PROPER")
    assert take(first, "Show S01E06") is not None
    assert take(r, "Show without episode") is not None  # nothing to remember: matches
    no_repacks = dataclasses.replace(FIVE, download_repacks=False)
    assert take(first, "Show S01E05 REPACK", no_repacks) is None


def test_4_6_records_the_bare_episode_of_a_repack_again() -> None:
    first = take(rule(smartFilter=True), "Show S01E05", FOUR)
    assert first is not None
    repack = take(first, "Show S01E05 REPACK", FOUR)
    assert repack is not None and repack.previously_matched == ("1x5", "1x5-REPACK", "1x5")


def test_smart_filters_come_from_the_preference() -> None:
    own = settings(r"ep(\d+)", True, five=True)
    first = take(rule(smartFilter=True), "Show ep7", own)
    assert first is not None and first.previously_matched == ("7",)
    assert take(first, "Show ep07", own) is None
    broken = settings("(", True, five=True)  # a filter that does not compile: no episodes
    again = take(rule(smartFilter=True, previouslyMatchedEpisodes=["1x5"]), "S01E05", broken)
    assert again is not None


def test_ignore_days_after_last_match() -> None:
    r = rule(ignoreDays=2, lastMatch="01 Dec 2026 12:00:00 +0000")
    assert match(r, article("a", NOW + timedelta(days=1)), FIVE) is None
    assert match(r, article("a", NOW + timedelta(days=2)), FIVE) is not None
    assert match(r, article("a", NOW - timedelta(days=30)), FIVE) is None
    never = rule(ignoreDays=2)
    assert match(never, article("a"), FIVE) is not None
    zero = rule(ignoreDays=0, lastMatch="01 Dec 2026 12:00:00 +0000")
    assert match(zero, article("a", NOW), FIVE) is not None


def test_accept_sets_last_match_to_the_article_date() -> None:
    r = rule(ignoreDays=1)
    taken = accept(r, article("a", NOW), FIVE)
    assert taken is not None and taken.last_match == NOW
    assert accept(taken, article("b", NOW + timedelta(hours=2)), FIVE) is None
    naive = accept(r, article("a", datetime(2026, 1, 1)), FIVE)
    assert naive is not None and naive.last_match == datetime(2026, 1, 1, tzinfo=UTC)


def test_wildcard_pattern() -> None:
    assert wildcard_pattern("a*b?c") == r"a[\d\D]*b[\d\D]c"
    assert wildcard_pattern("a*b?c", path_wildcards=True) == "a[^/]*b[^/]c"
    assert wildcard_pattern("$(+.^{|})\\") == r"\$\(\+\.\^\{\|\}\)\\"
    assert wildcard_pattern("[]x]") == "[]x]"
    assert wildcard_pattern("[a/b]", path_wildcards=True) == "[a"
    assert wildcard_pattern("[a\\b]") == "[a\\\\b]"


@given(st.text(max_size=30), st.text(max_size=40))
def test_the_episode_filter_never_crashes(episode_filter: str, title: str) -> None:
    assert matches_episode_filter(episode_filter, title) in (True, False)


@given(st.from_regex(r"\d{1,4}x[0-9;\-x( ]{0,12};", fullmatch=True), st.text(max_size=40))
def test_well_formed_episode_filters_never_crash(episode_filter: str, title: str) -> None:
    assert matches_episode_filter(episode_filter, title) in (True, False)


@given(st.text(max_size=200))
def test_any_definition_gives_a_rule_that_matches_without_crashing(text: str) -> None:
    r = rule_from_json(parse_definition(text), "x")
    assert match(r, article(text[:30]), FIVE) is None or True


@given(
    st.dictionaries(
        st.sampled_from(["mustContain", "mustNotContain", "episodeFilter", "useRegex"]),
        st.one_of(st.text(max_size=20), st.booleans()),
    ),
    st.text(max_size=40),
)
def test_any_rule_terms_match_without_crashing(definition: dict[str, object], title: str) -> None:
    r = rule_from_json(dict(definition, smartFilter=True), "x")
    accept(r, article(title), FIVE)
    accept(r, article(title), FOUR)
