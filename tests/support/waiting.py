"""Waiting for something to happen in a test: poll a check until it holds, fail at a deadline.

A check holds when it returns without raising `AssertionError` and its result is truthy or None
(None: an assertion-style check that stopped raising). `False`, 0 or an empty value means "not
yet", as does an `AssertionError`; at the timeout the last error is raised again, or an
`AssertionError` naming the last value. `eventually` is for coroutines (the check may be async);
`eventually_sync` for code running in a thread, e.g. qbittorrent-api calls under `to_thread`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, NoReturn

_PENDING = object()


def _verdict(value: Any) -> bool:
    return value is None or bool(value)


def _fail(
    timeout: float, last_error: AssertionError | None, last_value: Any, message: str | None
) -> NoReturn:
    if last_error is not None and message is None:
        raise last_error
    described = message or "the check did not hold"
    detail = (
        f"last error: {last_error}" if last_error is not None else f"last value: {last_value!r}"
    )
    raise AssertionError(f"{described} within {timeout} s ({detail})") from last_error


async def eventually(
    check: Callable[[], Any],
    *,
    # a deadline for the polling, not one for a single await that asyncio.timeout would give
    timeout: float = 10.0,  # noqa: ASYNC109
    interval: float = 0.05,
    message: str | None = None,
) -> Any:
    """Poll `check` (sync or async) until it holds; return its value."""
    deadline = time.monotonic() + timeout
    last_error: AssertionError | None = None
    last_value: Any = _PENDING
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
        except AssertionError as error:
            last_error = error
        else:
            if _verdict(value):
                return value
            last_error, last_value = None, value
        if time.monotonic() >= deadline:
            _fail(timeout, last_error, last_value, message)
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | None = None,
) -> Any:
    """Poll `check` from a thread until it holds; return its value (blocks the caller)."""
    deadline = time.monotonic() + timeout
    last_error: AssertionError | None = None
    last_value: Any = _PENDING
    while True:
        try:
            value = check()
        except AssertionError as error:
            last_error = error
        else:
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()  # never awaited: close it rather than leave a warning
                raise TypeError("eventually_sync takes a sync check; await eventually() instead")
            if _verdict(value):
                return value
            last_error, last_value = None, value
        if time.monotonic() >= deadline:
            _fail(timeout, last_error, last_value, message)
        time.sleep(interval)
