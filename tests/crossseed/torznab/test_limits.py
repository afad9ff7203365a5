"""Limits: spacing, back-off (Retry-After seconds and dates, configured defaults), snatch caps."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from tests.support.clock import FakeClock
from torrentstack.crossseed.torznab.limits import (
    IndexerLimits,
    IndexerStatus,
    LimitPolicy,
    retry_at,
)

NOW = 1_800_000_000.0


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", NOW + 120),
        (" 0 ", NOW),
        ("1.5", NOW + 1.5),
        (http_date(NOW + 3600), NOW + 3600),
        (http_date(NOW - 3600), NOW),  # a date in the past: now
        ("-5", None),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_at(header, expected):
    assert retry_at(header, NOW) == expected


def test_a_429_without_retry_after_backs_off_an_hour_not_zero():
    clock = FakeClock(NOW)
    limits = IndexerLimits()
    assert limits.snooze("a", 429, None, clock()) == NOW + 3600
    assert limits.status("a", clock()) is IndexerStatus.RATE_LIMITED
    clock.advance(3599)
    assert limits.snoozed_until("a", clock()) == NOW + 3600
    clock.advance(1)
    assert limits.snoozed_until("a", clock()) is None
    assert limits.status("a", clock()) is IndexerStatus.OK


def test_other_failures_back_off_ten_minutes():
    limits = IndexerLimits()
    assert limits.snooze("a", 500, None, NOW) == NOW + 600
    assert limits.status("a", NOW) is IndexerStatus.UNKNOWN_ERROR
    assert limits.snooze("b", None, None, NOW) == NOW + 600  # network error or timeout


def test_retry_after_wins_in_seconds_and_as_a_date():
    clock = FakeClock(NOW)
    limits = IndexerLimits()
    assert limits.snooze("a", 429, "30", clock()) == NOW + 30
    assert limits.snooze("b", 503, http_date(NOW + 7200), clock()) == NOW + 7200
    assert limits.status("b", clock()) is IndexerStatus.UNKNOWN_ERROR
    clock.advance(30)
    assert limits.status("a", clock()) is IndexerStatus.OK


def test_configured_back_off():
    limits = IndexerLimits(LimitPolicy(rate_limited_backoff=60, error_backoff=5))
    assert limits.snooze("a", 429, None, NOW) == NOW + 60
    assert limits.snooze("b", 502, "garbage", NOW) == NOW + 5


def test_a_shorter_snooze_does_not_cut_a_longer_one():
    limits = IndexerLimits()
    limits.snooze("a", 429, None, NOW)
    assert limits.snooze("a", 500, "10", NOW) == NOW + 3600
    assert limits.status("a", NOW) is IndexerStatus.RATE_LIMITED
    # once over, a new one starts afresh
    assert limits.snooze("a", 500, "10", NOW + 4000) == NOW + 4010


def test_clear_unknown_errors_keeps_rate_limits():
    limits = IndexerLimits()
    limits.snooze("limited", 429, None, NOW)
    limits.snooze("broken", 500, None, NOW)
    limits.clear_unknown_errors()
    assert limits.status("limited", NOW) is IndexerStatus.RATE_LIMITED
    assert limits.status("broken", NOW) is IndexerStatus.OK
    limits.clear("limited")
    assert limits.status("limited", NOW) is IndexerStatus.OK


def test_spacing_reserves_consecutive_slots():
    clock = FakeClock(NOW)
    limits = IndexerLimits(LimitPolicy(min_interval=2))
    assert limits.reserve("a", clock()) == 0
    assert limits.reserve("a", clock()) == 2
    assert limits.reserve("a", clock()) == 4
    assert limits.reserve("b", clock()) == 0  # per indexer
    clock.advance(10)
    assert limits.reserve("a", clock()) == 0


def test_no_spacing_by_default():
    limits = IndexerLimits()
    assert [limits.reserve("a", NOW) for _ in range(3)] == [0, 0, 0]


def test_a_link_is_given_up_after_more_than_five_failures_in_a_day():
    clock = FakeClock(NOW)
    limits = IndexerLimits()
    for _ in range(5):
        limits.record_snatch_failure("http://x/1", "T", clock())
        clock.advance(60)
    assert limits.may_snatch("http://x/1", "T", clock())
    limits.record_snatch_failure("http://x/1", "T", clock())
    assert not limits.may_snatch("http://x/1", "T", clock())
    assert limits.may_snatch("http://x/2", "T", clock())  # other links of the tracker
    clock.advance(86400 - 5 * 60)  # the first failures leave the window
    assert limits.may_snatch("http://x/1", "T", clock())


def test_a_tracker_is_given_up_after_more_than_nine_failures_in_a_day():
    clock = FakeClock(NOW)
    limits = IndexerLimits()
    for n in range(9):
        limits.record_snatch_failure(f"http://x/{n}", "T", clock())
    assert limits.may_snatch("http://x/new", "T", clock())
    limits.record_snatch_failure("http://x/9", "T", clock())
    assert not limits.may_snatch("http://x/new", "T", clock())
    assert limits.may_snatch("http://x/new", "Other", clock())
    clock.advance(86400)
    assert limits.may_snatch("http://x/new", "T", clock())


def test_prune_forgets_old_state():
    limits = IndexerLimits()
    limits.record_snatch_failure("l", "t", NOW)
    limits.snooze("a", 500, None, NOW)
    limits.prune(NOW + 86401)
    assert limits._link_failures == {}
    assert limits._tracker_failures == {}
    assert limits._snoozes == {}
