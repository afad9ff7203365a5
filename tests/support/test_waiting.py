"""The waiting helpers: they return what the check returned once it holds and fail at the timeout."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.support.waiting import eventually, eventually_sync


def counting(holds_at: int, value: object = "done") -> object:
    calls = itertools.count(1)

    def check() -> object:
        n = next(calls)
        assert n >= holds_at, f"call {n}"
        return value

    return check


async def test_eventually_returns_the_value_once_the_check_stops_raising():
    assert await eventually(counting(3), interval=0) == "done"


async def test_eventually_awaits_an_async_check_and_retries_on_falsy_values():
    results = iter([False, 0, [], [1]])

    async def check() -> object:
        await asyncio.sleep(0)
        return next(results)

    assert await eventually(check, interval=0) == [1]


async def test_none_from_an_assertion_style_check_means_it_holds():
    assert await eventually(lambda: None) is None


async def test_eventually_raises_the_last_assertion_at_the_timeout():
    with pytest.raises(AssertionError, match=r"call \d+"):
        await eventually(counting(10**9), timeout=0.05, interval=0.01)


async def test_eventually_names_the_last_falsy_value_at_the_timeout():
    with pytest.raises(AssertionError, match=r"never came within 0\.05 s \(last value: \[\]\)"):
        await eventually(list, timeout=0.05, interval=0.01, message="never came")


def test_eventually_sync_polls_and_fails_the_same_way():
    assert eventually_sync(counting(2, 42), interval=0) == 42
    with pytest.raises(AssertionError, match=r"the check did not hold within 0\.02 s"):
        eventually_sync(lambda: False, timeout=0.02, interval=0.005)
    with pytest.raises(AssertionError, match=r"slow within 0\.02 s \(last error: call \d+"):
        eventually_sync(counting(10**9), timeout=0.02, interval=0.005, message="slow")


def test_eventually_sync_refuses_an_async_check():
    async def check() -> bool:
        return True

    with pytest.raises(TypeError, match="sync check"):
        eventually_sync(check)
