"""Upload rules: the JSON model and `check`, each rule passing and failing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from torrentstack.site.torrents.metafile import FileEntry, Prepared
from torrentstack.site.torrents.rules import MAX_PATTERN_LENGTH, UploadRules, check

GIB = 1024**3


def prepared(*files: tuple[str, int], name: str = "Show.S01.1080p") -> Prepared:
    entries = tuple(FileEntry(path, length) for path, length in files)
    return Prepared(
        info=b"de",
        info_hash="0" * 40,
        info_hash_v2=None,
        name=name,
        size=sum(f.length for f in entries),
        files=entries,
        piece_length=16384,
        content_signature="0" * 64,
        comment=None,
        created_by=None,
        creation_date=None,
    )


SHOW = prepared(("E01.mkv", 2 * GIB), ("E02.MKV", 2 * GIB), ("Show.nfo", 900))
OK_INPUT: dict[str, Any] = {
    "title": "Show S01 1080p",
    "description": "A fine season of a fine show.",
    "has_nfo": True,
}


def violations(rules: dict[str, Any], upload: Prepared = SHOW, **changes: Any) -> list[str]:
    model = UploadRules.model_validate_json(json.dumps(rules))
    return check(model, upload, **{**OK_INPUT, **changes})


def test_defaults_allow_everything() -> None:
    assert violations({}) == []
    assert violations({}, title="", description="", has_nfo=False) == []


def test_json_is_camel_case_and_round_trips() -> None:
    text = {
        "maxSize": 5 * GIB,
        "allowedExtensions": [".MKV", "nfo", "mkv"],
        "forbiddenExtensions": ["exe"],
        "requireNfo": True,
        "descriptionMinLength": 10,
        "titlePatterns": [r".+ S\d\d .+"],
        "forbiddenNamePatterns": ["(?i)sample"],
    }
    rules = UploadRules.model_validate(text)
    assert rules.allowed_extensions == ("mkv", "nfo")  # normalised, duplicates dropped
    assert rules.model_dump(mode="json", by_alias=True) == {
        **text,
        "allowedExtensions": ["mkv", "nfo"],
    }
    assert UploadRules.model_validate_json(rules.model_dump_json(by_alias=True)) == rules
    assert UploadRules(max_size=1, require_nfo=True).max_size == 1  # field names work in Python


@pytest.mark.parametrize(
    "bad",
    [
        {"maxsize": 1},  # unknown key (case matters)
        {"maxSize": -1},
        {"maxSize": "1"},
        {"requireNfo": "yes"},
        {"descriptionMinLength": 1.5},
        {"allowedExtensions": [""]},
        {"forbiddenExtensions": ["a/b"]},
        {"titlePatterns": ["("]},  # invalid regular expressions are refused
        {"forbiddenNamePatterns": ["[a-"]},
        {"forbiddenNamePatterns": ["a" * (MAX_PATTERN_LENGTH + 1)]},
        {"titlePatterns": ["x"] * 51},
        {"allowedExtensions": [f"e{i}" for i in range(201)]},
    ],
)
def test_bad_rules_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        UploadRules.model_validate_json(json.dumps(bad))


def test_the_longest_pattern_is_accepted() -> None:
    longest = "a" * MAX_PATTERN_LENGTH
    assert UploadRules(forbidden_name_patterns=(longest,)).forbidden_name_patterns == (longest,)


def test_an_invalid_regex_says_which() -> None:
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        UploadRules(title_patterns=("ok", "(unclosed"))


def test_rules_are_frozen() -> None:
    rules = UploadRules()
    with pytest.raises(ValidationError):
        rules.max_size = 3  # type: ignore[misc]


def test_max_size() -> None:
    assert violations({"maxSize": 4 * GIB + 900}) == []
    assert violations({"maxSize": 4 * GIB + 899}) == [
        "The content is 4.0 GiB (4294968196 bytes); at most 4.0 GiB (4294968195 bytes) is allowed."
    ]
    assert violations({"maxSize": 0}, prepared(("huge", 10**15))) == []
    assert violations({"maxSize": 1000}, prepared(("huge", 3 * 1024**4))) == [
        "The content is 3.0 TiB (3298534883328 bytes); at most 1000 bytes is allowed."
    ]


def test_allowed_extensions() -> None:
    assert violations({"allowedExtensions": ["mkv", ".NFO"]}) == []
    found = violations({"allowedExtensions": ["mkv"]})
    assert found == ["Files of a type not allowed: 'Show.nfo' (allowed: mkv)."]
    no_extension = prepared(("README", 1), ("a.mkv", 1))
    assert violations({"allowedExtensions": ["mkv"]}, no_extension) == [
        "Files of a type not allowed: 'README' (allowed: mkv)."
    ]


def test_multi_part_extensions_and_long_lists() -> None:
    many = prepared(*((f"part{i}.rar", 1) for i in range(8)), ("x.tar.gz", 1))
    assert violations({"allowedExtensions": ["rar", "tar.gz"]}, many) == []
    assert violations({"forbiddenExtensions": ["rar"]}, many) == [
        "Files of a forbidden type: 'part0.rar', 'part1.rar', 'part2.rar', 'part3.rar',"
        " 'part4.rar' and 3 more."
    ]


def test_forbidden_extensions() -> None:
    assert violations({"forbiddenExtensions": ["exe", "lnk"]}) == []
    upload = prepared(("Show/setup.EXE", 10), ("ep.mkv", 10))
    assert violations({"forbiddenExtensions": ["exe"]}, upload) == [
        "Files of a forbidden type: 'Show/setup.EXE'."
    ]


def test_require_nfo() -> None:
    assert violations({"requireNfo": True}, has_nfo=True) == []
    assert violations({"requireNfo": False}, has_nfo=False) == []
    assert violations({"requireNfo": True}, has_nfo=False) == ["An NFO is required."]


def test_description_min_length() -> None:
    assert violations({"descriptionMinLength": 5}, description="  12345  ") == []
    assert violations({"descriptionMinLength": 6}, description="  12345  ") == [
        "The description has 5 characters; at least 6 are required."
    ]


def test_title_patterns_must_match_the_whole_title() -> None:
    rules = {"titlePatterns": [r".+ S\d\d(E\d\d)? .+", r"Movie \(\d{4}\)"]}
    assert violations(rules, title="Show S01 1080p") == []
    assert violations(rules, title="Movie (2020)") == []
    wrong = ["The title does not have any of the allowed forms."]
    assert violations(rules, title="Movie (2020) extras") == wrong  # a prefix is not enough
    assert violations(rules, title="Show season one") == wrong


def test_forbidden_name_patterns_see_the_name_and_every_path() -> None:
    rules = {"forbiddenNamePatterns": ["(?i)sample", r"\.url$"]}
    assert violations(rules) == []
    upload = prepared(("ep.mkv", 1), ("Sample/ep.sample.mkv", 1), ("site.url", 1))
    assert violations(rules, upload) == [
        "Forbidden names (pattern '(?i)sample'): 'Sample/ep.sample.mkv'.",
        r"Forbidden names (pattern '\\.url$'): 'site.url'.",
    ]
    assert violations(rules, prepared(("ep.mkv", 1), name="Show SAMPLE")) == [
        "Forbidden names (pattern '(?i)sample'): 'Show SAMPLE'."
    ]


def test_every_broken_rule_is_reported() -> None:
    rules = {
        "maxSize": 1,
        "allowedExtensions": ["avi"],
        "forbiddenExtensions": ["nfo"],
        "requireNfo": True,
        "descriptionMinLength": 100,
        "titlePatterns": ["nothing"],
        "forbiddenNamePatterns": ["E0"],
    }
    assert len(violations(rules, has_nfo=False)) == 7
