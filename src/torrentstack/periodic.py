"""Periodic background jobs that survive their own failures: `Periodic` runs one every N seconds.

A failing run is logged (once per streak of failures, naming the exception type and where it was
raised, never an outside library's message) and counted; the job runs again on the next tick.
Only cancellation and the stop event end the loop.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable

from torrentstack.errors import TorrentstackError

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


def describe(exc: BaseException) -> str:
    """Name `exc` safely for a log line: its type, our own message, and where it was raised.

    Messages of torrentstack's errors are written not to carry secrets; those of other
    libraries may hold a URL with a password, SQL with bound values, or a peer's request.
    """
    name = type(exc).__name__
    text = f"{name}: {exc}" if isinstance(exc, TorrentstackError) else name
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
    return text


class Periodic:
    """Run `job` every `interval` seconds until a stop event; a failure waits for the next tick.

    `runs` counts successful runs, `failures` failed ones, `streak` the failures since the
    last success (the loop logs the first of a streak and the recovery that ends it).
    """

    def __init__(self, name: str, job: Job, interval: float) -> None:
        self.name = name
        self.job = job
        self.interval = interval
        self.runs = 0
        self.failures = 0
        self.streak = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every `interval` seconds until `stop` is set (the first tick after one interval)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except TimeoutError:
                await self.tick()

    async def tick(self) -> bool:
        """Run the job once; log and count a failure instead of raising it. True on success."""
        try:
            await self.job()
        except Exception as exc:  # any failure waits for the next tick; cancellation is not one
            self.failures += 1
            self.streak += 1
            if self.streak == 1:
                logger.warning(
                    "%s failed: %s; retrying every %gs", self.name, describe(exc), self.interval
                )
            return False
        self.runs += 1
        if self.streak:
            logger.info("%s works again after %d failed runs", self.name, self.streak)
            self.streak = 0
        return True
