"""Per-indexer request spacing and back-off, and per-link / per-tracker snatch failure limits.

Pure: every method takes `now` (epoch seconds); the client passes its Clock's time. Back-off
follows cross-seed v6's `onResponseNotOk` — `Retry-After` (seconds or an HTTP date) when given,
else 1 hour after a 429 and 10 minutes after any other failure — except that a missing header
means the configured back-off here, where cross-seed's `Number(null) === 0` snoozes for zero.
Snatch limits are ours (cross-seed has none, #327): a link that failed more than 5 times, or a
tracker whose links failed more than 9 times, in the last day is not tried again until then.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


class IndexerStatus(enum.StrEnum):
    """cross-seed's indexer statuses."""

    OK = "OK"
    RATE_LIMITED = "RATE_LIMITED"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """The numbers the limits work with (seconds and counts)."""

    min_interval: float = 0.0  # between the starts of two requests to one indexer
    rate_limited_backoff: float = 3600.0  # after a 429 without Retry-After
    error_backoff: float = 600.0  # after any other failure without Retry-After
    snatch_window: float = 86400.0
    max_link_failures: int = 5  # more than this many failures in the window: link given up
    max_tracker_failures: int = 9  # more than this many: the tracker's links are not fetched


def retry_at(value: str | None, now: float) -> float | None:
    """When a `Retry-After` header says to come back (epoch seconds); None if absent or unreadable.

    A number is seconds from `now`, anything else an HTTP date; a date in the past means now.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return now + seconds
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    try:
        return max(now, when.timestamp())
    except (OverflowError, ValueError, OSError):
        return None


@dataclass(slots=True)
class _Snooze:
    status: IndexerStatus
    until: float


class IndexerLimits:
    """The limits of every indexer and tracker, keyed by the caller's names for them."""

    def __init__(self, policy: LimitPolicy | None = None) -> None:
        self.policy = policy if policy is not None else LimitPolicy()
        self._next_slot: dict[str, float] = {}
        self._snoozes: dict[str, _Snooze] = {}
        self._link_failures: dict[str, deque[float]] = {}
        self._tracker_failures: dict[str, deque[float]] = {}

    # --- spacing ---------------------------------------------------------------------------

    def reserve(self, indexer: str, now: float) -> float:
        """Claim the indexer's next request slot; return how many seconds to wait for it."""
        start = max(now, self._next_slot.get(indexer, now))
        self._next_slot[indexer] = start + self.policy.min_interval
        return start - now

    # --- back-off --------------------------------------------------------------------------

    def snooze(
        self, indexer: str, http_status: int | None, retry_after: str | None, now: float
    ) -> float:
        """Back off after a failed request (HTTP status, None for a network error); return until."""
        rate_limited = http_status == 429
        until = retry_at(retry_after, now)
        if until is None:
            backoff = (
                self.policy.rate_limited_backoff if rate_limited else self.policy.error_backoff
            )
            until = now + backoff
        status = IndexerStatus.RATE_LIMITED if rate_limited else IndexerStatus.UNKNOWN_ERROR
        current = self._snoozes.get(indexer)
        if current is None or current.until < until or current.until <= now:
            self._snoozes[indexer] = _Snooze(status, until)
        return self._snoozes[indexer].until

    def snoozed_until(self, indexer: str, now: float) -> float | None:
        """When the indexer may be asked again, or None if it may be now."""
        snooze = self._snoozes.get(indexer)
        if snooze is None or snooze.until <= now:
            return None
        return snooze.until

    def status(self, indexer: str, now: float) -> IndexerStatus:
        """OK, or why the indexer is backing off."""
        snooze = self._snoozes.get(indexer)
        if snooze is None or snooze.until <= now:
            return IndexerStatus.OK
        return snooze.status

    def clear(self, indexer: str) -> None:
        """Forget the indexer's back-off (e.g. after its caps were fetched again)."""
        self._snoozes.pop(indexer, None)

    def clear_unknown_errors(self) -> None:
        """Forget every back-off that was not a rate limit, as cross-seed does at start-up."""
        for name in [
            n for n, s in self._snoozes.items() if s.status is not IndexerStatus.RATE_LIMITED
        ]:
            del self._snoozes[name]

    # --- snatches --------------------------------------------------------------------------

    def may_snatch(self, link: str, tracker: str, now: float) -> bool:
        """Whether a download of `link` (listed for `tracker`) should be tried."""
        links = self._recent(self._link_failures, link, now)
        trackers = self._recent(self._tracker_failures, tracker, now)
        return (
            links <= self.policy.max_link_failures and trackers <= self.policy.max_tracker_failures
        )

    def record_snatch_failure(self, link: str, tracker: str, now: float) -> None:
        """Count a failed download against its link and its tracker."""
        self._link_failures.setdefault(link, deque()).append(now)
        self._tracker_failures.setdefault(tracker, deque()).append(now)

    def prune(self, now: float) -> None:
        """Drop failures older than the window (call now and then: links are many)."""
        for table in (self._link_failures, self._tracker_failures):
            for key in list(table):
                self._recent(table, key, now)
        for name in [n for n, s in self._snoozes.items() if s.until <= now]:
            del self._snoozes[name]

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> int:
        times = table.get(key)
        if times is None:
            return 0
        cutoff = now - self.policy.snatch_window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del table[key]
            return 0
        return len(times)
