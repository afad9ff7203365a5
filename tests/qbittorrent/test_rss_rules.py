"""A rule definition in and out as qBittorrent 4.6/5.1's `fromJsonObject`/`toJsonObject` (the
values qbittorrent-nox 4.5.2 answered for the same definitions, plus 4.6's `priority` and
`torrentParams`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.qbittorrent.rss_rules import (
    TorrentParams,
    clean_path,
    format_date,
    parse_date,
    parse_definition,
    qt_key_order,
    rule_from_json,
    rule_to_json,
    tag_set,
)

DEFAULT_46 = {
    "addPaused": None,
    "affectedFeeds": [],
    "assignedCategory": "",
    "enabled": True,
    "episodeFilter": "",
    "ignoreDays": 0,
    "lastMatch": "",
    "mustContain": "",
    "mustNotContain": "",
    "previouslyMatchedEpisodes": [],
    "priority": 0,
    "savePath": "",
    "smartFilter": False,
    "torrentContentLayout": None,
    "torrentParams": {
        "category": "",
        "download_limit": -1,
        "download_path": "",
        "inactive_seeding_time_limit": -2,
        "operating_mode": "AutoManaged",
        "ratio_limit": -2,
        "save_path": "",
        "seeding_time_limit": -2,
        "skip_checking": False,
        "tags": [],
        "upload_limit": -1,
    },
    "useRegex": False,
}


PARAM_KEYS = [*DEFAULT_46["torrentParams"], "stopped", "use_auto_tmm", "content_layout",  # type: ignore[misc]
              "stop_condition", "share_limit_action", "ssl_certificate", "use_download_path"]  # fmt: skip


def out(definition: object, five: bool = False) -> dict[str, object]:
    return rule_to_json(rule_from_json(parse_definition(json.dumps(definition)), "r"), five)


@pytest.mark.parametrize("text", ["{not json", "[]", '"x"', "", "NaN", '{"a": NaN}', "[" * 5000])
def test_what_is_not_an_object_is_the_default_rule(text: str) -> None:
    assert rule_to_json(rule_from_json(parse_definition(text), "r"), False) == DEFAULT_46


def test_default_rule_keys_are_in_qt_order() -> None:
    assert list(out({})) == sorted(DEFAULT_46)
    assert list(out({})["torrentParams"]) == sorted(DEFAULT_46["torrentParams"])  # type: ignore[arg-type]


def test_legacy_keys_as_nox_reads_them() -> None:
    got = out(
        {
            "enabled": False,
            "mustContain": "a|b",
            "episodeFilter": "1x01-;",
            "affectedFeeds": "http://x/feed",
            "ignoreDays": 2.0,
            "lastMatch": "20 Nov 2017 09:05:11",
            "addPaused": True,
            "assignedCategory": "cat",
            "savePath": "/tmp//a/b/../c/",
            "smartFilter": True,
            "previouslyMatchedEpisodes": ["1x1", 5],
            "priority": 3,
        }
    )
    assert got["enabled"] is False
    assert got["mustContain"] == "a|b"
    assert got["affectedFeeds"] == ["http://x/feed"]
    assert got["ignoreDays"] == 2
    assert got["lastMatch"] == "20 Nov 2017 09:05:11 +0000"
    assert got["addPaused"] is True
    assert got["savePath"] == "/tmp/a/c"
    assert got["previouslyMatchedEpisodes"] == ["1x1", ""]
    assert got["priority"] == 3
    assert got["torrentParams"] == {
        **DEFAULT_46["torrentParams"],  # type: ignore[dict-item]
        "category": "cat",
        "save_path": "/tmp/a/c",
        "stopped": True,
        "use_auto_tmm": False,  # a save path turns automatic management off
    }


def test_legacy_odd_values() -> None:
    got = out(
        {
            "lastMatch": "Mon, 20 Nov 2017 09:05:11 +0100",
            "savePath": "rel/x",
            "torrentContentLayout": "Subfolder",
            "addPaused": "yes",  # not a bool: no value
            "ignoreDays": 1.5,
            "enabled": "false",  # not a bool: the default
        }
    )
    assert got["lastMatch"] == "20 Nov 2017 09:05:11 +0100"
    assert got["addPaused"] is None
    assert got["torrentContentLayout"] == "Subfolder"
    assert got["ignoreDays"] == 0
    assert got["enabled"] is True
    assert out({"createSubfolder": False})["torrentContentLayout"] == "NoSubfolder"
    assert out({"createSubfolder": True})["torrentContentLayout"] == "Original"
    assert out({"torrentContentLayout": "Bogus"})["torrentContentLayout"] == "Original"


def test_torrent_params_win_over_the_legacy_keys() -> None:
    got = out(
        {
            "assignedCategory": "legacy",
            "addPaused": False,
            "torrentParams": {
                "category": "c",
                "tags": ["b", "A", "a", " t10", "t9"],
                "save_path": "/x/",
                "stopped": 1,  # not a bool but present: false
                "operating_mode": "Forced",
                "content_layout": "Bogus",
                "stop_condition": "Nope",
                "ratio_limit": 1.5,
                "use_auto_tmm": None,
            },
        },
        five=True,
    )
    assert got["assignedCategory"] == "c"
    assert got["addPaused"] is False
    assert got["torrentContentLayout"] == "Original"
    params = got["torrentParams"]
    assert params == {
        "category": "c",
        "content_layout": "Original",
        "download_limit": -1,
        "download_path": "",
        "inactive_seeding_time_limit": -2,
        "operating_mode": "Forced",
        "ratio_limit": 1.5,
        "save_path": "/x",
        "seeding_time_limit": -2,
        "share_limit_action": "Default",
        "skip_checking": False,
        "ssl_certificate": "",
        "ssl_dh_params": "",
        "ssl_private_key": "",
        "stop_condition": "None",
        "stopped": False,
        "tags": ["A", "b", "t9", "t10"],
        "upload_limit": -1,
    }
    assert list(params) == sorted(params)  # type: ignore[arg-type]


def test_a_rule_round_trips() -> None:
    first = out(
        {
            "mustContain": "x",
            "useRegex": True,
            "torrentParams": {"category": "tv", "stopped": True, "tags": ["a"]},
            "lastMatch": "01 Dec 2026 10:00:00 -0230",
        },
        five=True,
    )
    assert out(first, five=True) == first


def test_the_name_comes_from_the_definition_when_empty() -> None:
    assert rule_from_json({"name": "inside"}, "").name == "inside"
    assert rule_from_json({"name": "inside"}, "given").name == "given"


def test_regex_must_contain_is_one_expression() -> None:
    assert rule_from_json({"mustContain": "a|b", "useRegex": True}, "r").must_contain == ("a|b",)
    assert rule_from_json({"mustContain": "a|b"}, "r").must_contain == ("a", "b")
    assert rule_from_json({"mustContain": ""}, "r").must_contain == ()


DATES = [
    ("20 Nov 2017 09:05:11", datetime(2017, 11, 20, 9, 5, 11, tzinfo=UTC)),
    ("Mon, 20 Nov 2017 09:05:11 +0100", datetime(2017, 11, 20, 8, 5, 11, tzinfo=UTC)),
    ("20 Nov 2017 09:05", datetime(2017, 11, 20, 9, 5, tzinfo=UTC)),
    ("20 nov 2017 09:05:11 -0000", datetime(2017, 11, 20, 9, 5, 11, tzinfo=UTC)),
    ("31 Feb 2017 09:05:11", None),
    ("20 Foo 2017 09:05:11", None),
    ("2017-11-20T09:05:11Z", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_format_date() -> None:
    assert format_date(None) == ""
    assert format_date(datetime(2017, 11, 20, 9, 5, 11)) == "20 Nov 2017 09:05:11 +0000"
    east = timezone(timedelta(hours=5, minutes=30))
    assert format_date(datetime(2017, 1, 2, 3, 4, 5, tzinfo=east)) == "02 Jan 2017 03:04:05 +0530"
    west = timezone(-timedelta(hours=2, minutes=30))
    assert format_date(datetime(2017, 1, 2, 3, 4, 5, tzinfo=west)) == "02 Jan 2017 03:04:05 -0230"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", ""), ("name", "name"), ("/a//b/", "/a/b"), ("a/./b/../c", "a/c"), ("/../a", "/a"),
     ("../a", "../a"), ("a/..", "."), ("/", "/")],
)  # fmt: skip
def test_clean_path(path: str, expected: str) -> None:
    assert clean_path(path) == expected


def test_tag_set_and_key_order() -> None:
    assert tag_set(["b", "a10", "a9", "B", " c "]) == ("a9", "a10", "b", "c")
    assert qt_key_order(["b", "a", "\U0001f600", "\uffee"]) == ["a", "b", "\U0001f600", "\uffee"]
    assert TorrentParams().stopped is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))  # fmt: skip
def test_any_json_value_in_any_key_gives_a_rule(value: object) -> None:
    keys = ["enabled", "priority", "useRegex", "mustContain", "affectedFeeds", "ignoreDays",
            "lastMatch", "previouslyMatchedEpisodes", "addPaused", "savePath", "torrentParams",
            "torrentContentLayout", "createSubfolder"]  # fmt: skip
    for key in keys:
        rule = rule_from_json({key: value}, "r")
        json.dumps(rule_to_json(rule, True), allow_nan=False)
        if isinstance(value, dict):
            rule = rule_from_json({"torrentParams": dict.fromkeys(PARAM_KEYS, value)}, "r")
            rule_to_json(rule, False)
