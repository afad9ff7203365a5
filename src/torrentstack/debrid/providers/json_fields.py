"""Typed reads from a service's decoded JSON; every function raises only `ProviderError`.

A value of the wrong type reads as empty (`""`, `0`, `[]`); NaN, infinities and huge numbers
read as harmless ones, and a bool is never a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import httpx

from torrentstack.debrid.errors import ProviderError

HUGE = 2**62  # numbers past this are nonsense, not sizes: they read as this


def text(obj: Mapping[str, object], key: str) -> str:
    """A string, or an integer as its digits; `""` for anything else."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def number(obj: Mapping[str, object], key: str) -> float:
    """A finite number (a numeric string too), within `HUGE`; 0 for anything else."""
    value = obj.get(key)
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int):
        return float(max(-HUGE, min(value, HUGE)))
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return 0.0
    if isinstance(value, float) and math.isfinite(value):
        return max(-HUGE, min(value, HUGE))
    return 0.0


def integer(obj: Mapping[str, object], key: str) -> int:
    """`number` cut to a whole number, never below 0."""
    return max(0, int(number(obj, key)))


def flag(obj: Mapping[str, object], key: str) -> bool:
    """Whether the value is `true` or `1`."""
    return obj.get(key) in (True, 1)


def items(obj: Mapping[str, object], key: str) -> list[object]:
    """A list; `[]` for anything else."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def an_object(provider: str, value: object, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object; a `ProviderError` otherwise."""
    if not isinstance(value, dict):
        raise ProviderError(provider, f"unexpected answer to {what}: not a JSON object")
    return value


def objects(provider: str, value: object, what: str) -> list[dict[str, Any]]:
    """`value` if it is a list of JSON objects; a `ProviderError` otherwise."""
    if not isinstance(value, list):
        raise ProviderError(provider, f"unexpected answer to {what}: not a JSON list")
    return [an_object(provider, item, what) for item in value]


def decoded(response: httpx.Response, provider: str, what: str) -> object:
    """The JSON of a response; a `ProviderError` if it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(provider, f"unexpected answer to {what}: not JSON") from exc


class Body:
    """One decoded JSON object with the reads above; a wrong shape is a `ProviderError`."""

    def __init__(self, value: object, provider: str, what: str) -> None:
        self.value = an_object(provider, value, what)
        self.provider = provider
        self.what = what

    def text(self, key: str) -> str:
        return text(self.value, key)

    def required(self, key: str) -> str:
        """A non-empty `text`; a `ProviderError` if there is none."""
        value = text(self.value, key)
        if not value:
            raise ProviderError(self.provider, f"unexpected answer to {self.what}: no {key}")
        return value

    def number(self, key: str) -> float:
        return number(self.value, key)

    def integer(self, key: str) -> int:
        return integer(self.value, key)

    def flag(self, key: str) -> bool:
        return flag(self.value, key)

    def items(self, key: str) -> list[object]:
        return items(self.value, key)

    def child(self, key: str) -> Body:
        """The object under `key`, read the same way."""
        return Body(self.value.get(key), self.provider, self.what)
