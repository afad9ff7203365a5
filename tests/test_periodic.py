"""`Periodic`: a failing job is logged once per streak, counted, and run again on the next tick."""

from __future__ import annotations

import asyncio
import logging

import pytest

from torrentstack.cache import CacheError
from torrentstack.periodic import Periodic, describe

SECRET_URL = "redis://:hunter2-password@127.0.0.1:6379/0"


class FlakyJob:
    """Fails its first `failures` runs (with a message holding a secret), then works."""

    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.left_to_fail = failures
        self.error = error
        self.calls = 0
        self.successes = 0
        self.succeeded = asyncio.Event()

    async def __call__(self) -> None:
        self.calls += 1
        if self.left_to_fail:
            self.left_to_fail -= 1
            raise self.error(f"cannot reach {SECRET_URL}")
        self.successes += 1
        self.succeeded.set()


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if " failed: " in r.getMessage()]


async def test_stepped_ticks_survive_failures_log_once_and_run_again(caplog):
    job = FlakyJob(failures=3)
    periodic = Periodic("test-job", job, 60.0)
    with caplog.at_level(logging.INFO, logger="torrentstack.periodic"):
        assert [await periodic.tick() for _ in range(3)] == [False, False, False]
        assert await periodic.tick() is True
        assert await periodic.tick() is True
    assert job.calls == 5 and job.successes == 2
    assert (periodic.runs, periodic.failures, periodic.streak) == (2, 3, 0)
    lines = failure_lines(caplog)
    assert len(lines) == 1  # once per streak, not once per failed run
    assert lines[0].startswith("test-job failed: ConnectionError")
    assert "works again after 3 failed runs" in caplog.text
    assert "hunter2" not in caplog.text and SECRET_URL not in caplog.text


async def test_a_new_streak_is_logged_again(caplog):
    job = FlakyJob(failures=1)
    periodic = Periodic("test-job", job, 60.0)
    with caplog.at_level(logging.WARNING, logger="torrentstack.periodic"):
        assert not await periodic.tick()
        assert await periodic.tick()
        job.left_to_fail = 2
        assert not await periodic.tick()
        assert not await periodic.tick()
    assert len(failure_lines(caplog)) == 2
    assert (periodic.failures, periodic.streak) == (3, 2)


async def test_the_loop_keeps_running_after_failures_until_stop(caplog):
    job = FlakyJob(failures=4)
    periodic = Periodic("test-loop", job, 0.0)  # ticks as fast as the event loop turns
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="torrentstack.periodic"):
        task = asyncio.create_task(periodic.run(stop))
        await asyncio.wait_for(job.succeeded.wait(), timeout=10)
        stop.set()
        await asyncio.wait_for(task, timeout=10)  # ends by itself, without raising
    assert periodic.failures == 4 and periodic.runs >= 1
    assert len(failure_lines(caplog)) == 1


async def test_the_loop_waits_its_interval_and_stops_at_once():
    job = FlakyJob(failures=0)
    periodic = Periodic("slow-job", job, 3600.0)
    stop = asyncio.Event()
    task = asyncio.create_task(periodic.run(stop))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert job.calls == 0  # the first run comes one interval after the start


async def test_cancellation_still_propagates():
    started = asyncio.Event()

    async def hangs() -> None:
        started.set()
        await asyncio.Event().wait()

    periodic = Periodic("hanging-job", hangs, 0.0)
    task = asyncio.create_task(periodic.run(asyncio.Event()))
    await asyncio.wait_for(started.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert periodic.failures == 0


def test_describe_names_the_type_and_place_but_not_a_foreign_message():
    try:
        raise ConnectionError(f"cannot reach {SECRET_URL}")
    except ConnectionError as exc:
        text = describe(exc)
    assert text.startswith("ConnectionError (at test_periodic.py:")
    assert "hunter2" not in text
    # our own errors are written without secrets: their message helps
    assert describe(CacheError("redis script failed: ConnectionError", operation="script")) == (
        "CacheError: redis script failed: ConnectionError"
    )
