"""The typed reads every debrid provider makes of decoded JSON: tolerant of any value, never
raising anything but `ProviderError`, and NaN, infinities and huge numbers kept harmless."""

from __future__ import annotations

import contextlib
import math

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.debrid_services.harness import ANY_JSON
from torrentstack.debrid.errors import ProviderError
from torrentstack.debrid.providers import json_fields
from torrentstack.debrid.providers.json_fields import Body, decoded


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12.0),
        (1.5, 1.5),
        ("42", 42.0),
        (" 7.25 ", 7.25),
        ("12 GB", 0.0),
        (True, 0.0),
        (False, 0.0),
        (None, 0.0),
        ([3], 0.0),
        (math.nan, 0.0),
        (math.inf, 0.0),
        ("nan", 0.0),
        ("-inf", 0.0),
        ("1e400", 0.0),
        (10**400, float(json_fields.HUGE)),
        (-(10**400), -float(json_fields.HUGE)),
        (1e300, float(json_fields.HUGE)),
    ],
)
def test_a_number_is_read_from_numbers_and_numeric_strings_only(
    value: object, expected: float
) -> None:
    assert json_fields.number({"n": value}, "n") == expected


def test_an_integer_is_whole_and_never_negative() -> None:
    assert json_fields.integer({"n": 7.9}, "n") == 7
    assert json_fields.integer({"n": -3}, "n") == 0
    assert json_fields.integer({"n": 10**400}, "n") == json_fields.HUGE
    assert json_fields.integer({}, "n") == 0


def test_text_is_a_string_or_an_integer_s_digits() -> None:
    reads = [json_fields.text({"k": v}, "k") for v in ("abc", 17, True, 1.5, None, [1])]
    assert reads == ["abc", "17", "", "", "", ""]


def test_a_flag_is_true_or_one() -> None:
    reads = [json_fields.flag({"k": v}, "k") for v in (True, 1, 1.0, False, 0, "1", "true", [])]
    assert reads == [True, True, True, False, False, False, False, False]


def test_a_wrong_shape_is_a_provider_error_naming_the_answer() -> None:
    with pytest.raises(ProviderError, match="unexpected answer to user: not a JSON object"):
        Body([1], "rd", "user")
    with pytest.raises(ProviderError, match="unexpected answer to user: no username"):
        Body({"username": ""}, "rd", "user").required("username")
    with pytest.raises(ProviderError, match="not a JSON list"):
        json_fields.objects("dl", {"a": 1}, "the list")
    with pytest.raises(ProviderError, match="not a JSON object"):
        json_fields.objects("dl", [{}, 3], "the list")
    assert json_fields.objects("dl", [{"a": 1}], "the list") == [{"a": 1}]
    assert Body({"data": {"x": "1"}}, "ad", "a call").child("data").integer("x") == 1


def test_a_body_that_is_not_json_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="unexpected answer to user: not JSON") as caught:
        decoded(httpx.Response(200, text="<html>"), "rd", "user")
    assert caught.value.provider == "rd"
    assert decoded(httpx.Response(200, json={"a": [1]}), "rd", "user") == {"a": [1]}


@given(value=ANY_JSON | st.integers() | st.floats() | st.text())
def test_any_value_reads_without_raising(value: object) -> None:
    obj = {"k": value}
    assert isinstance(json_fields.text(obj, "k"), str)
    number = json_fields.number(obj, "k")
    assert math.isfinite(number) and abs(number) <= json_fields.HUGE
    assert 0 <= json_fields.integer(obj, "k") <= json_fields.HUGE
    assert isinstance(json_fields.flag(obj, "k"), bool)
    assert isinstance(json_fields.items(obj, "k"), list)
    for read in (json_fields.an_object, json_fields.objects):
        with contextlib.suppress(ProviderError):
            read("p", value, "it")
