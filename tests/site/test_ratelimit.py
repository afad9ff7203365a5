"""Rate limits: the memory and Redis limiters against the same behaviour, the fallback between
them, the memory bound, and the classification of requests into buckets."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.support.clock import FakeClock
from torrentstack.cache import CacheError
from torrentstack.cache.redis import connect
from torrentstack.site.ratelimit import (
    ANNOUNCE,
    AUTH,
    MUTATION,
    PUBLIC_READ,
    BanRule,
    Bucket,
    Decision,
    FallbackRateLimiter,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    bucket_for,
    open_rate_limiter,
)

LOGGER = "torrentstack.site.ratelimit"
IP = "203.0.113.7"
OTHER_IP = "198.51.100.9"
LENIENT = BanRule(offences=1000)  # for tests of the windows alone: no ban gets in the way

MakeLimiter = Callable[..., Awaitable[RateLimiter]]

# every key matching ARGV[1] and its time to live in ms, flat: key, ttl, key, ttl...
PTTLS = """
local found = {}
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  table.insert(found, key)
  table.insert(found, redis.call('PTTL', key))
end
return found
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 1_800_000_000: a multiple of 60 and 300, so windows start there


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_limiter(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[MakeLimiter]:
    """Build limiters of one kind on the fake clock; Redis ones under a prefix of this test's."""
    url = request.config.getoption("--redis-url")
    prefix = f"ts:test:{secrets.token_hex(8)}:"
    made: list[RateLimiter] = []

    async def make(bans: BanRule = LENIENT) -> RateLimiter:
        limiter: RateLimiter
        if request.param == "memory":
            limiter = MemoryRateLimiter(clock=clock, bans=bans)
        else:
            limiter = RedisRateLimiter(await connect(url), clock=clock, bans=bans, prefix=prefix)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()
    if request.param == "redis":
        cleaner = await connect(url)
        try:
            await cleaner.delete_prefix(prefix)
        finally:
            await cleaner.close()


async def hits(
    limiter: RateLimiter, n: int, bucket: Bucket = MUTATION, key: str = IP
) -> list[Decision]:
    return [await limiter.hit(bucket, key) for _ in range(n)]


# --- the behaviour both limiters share --------------------------------------------------------


async def test_the_limit_is_reached_exactly_at_n(make_limiter: MakeLimiter) -> None:
    limiter = await make_limiter()
    decisions = await hits(limiter, MUTATION.limit)
    assert [d.allowed for d in decisions] == [True] * 10
    assert [d.remaining for d in decisions] == list(range(9, -1, -1))
    assert all(d.retry_after == 0 and not d.banned for d in decisions)
    refused = await limiter.hit(MUTATION, IP)
    assert refused.allowed is False and refused.remaining == 0 and not refused.banned
    # the window's 10 hits fade out over the next window: one fits once 1/10 of it has passed
    assert refused.retry_after == pytest.approx(60 + 6)


async def test_retry_after_is_when_a_request_passes_again(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = await make_limiter()
    await hits(limiter, 10)
    clock.advance(20)
    retry = (await limiter.hit(MUTATION, IP)).retry_after
    assert retry == pytest.approx(46)
    clock.advance(retry - 0.01)
    almost = await limiter.hit(MUTATION, IP)
    assert not almost.allowed and almost.retry_after == pytest.approx(0.01)
    clock.advance(almost.retry_after)
    assert (await limiter.hit(MUTATION, IP)).allowed
    # now in the next window with 9 of the previous one's 10 still weighing: the next fits when
    # the old count has faded to 8, at 1/5 of this window
    again = await limiter.hit(MUTATION, IP)
    assert not again.allowed and again.retry_after == pytest.approx(12 - 6)
    clock.advance(again.retry_after)
    assert (await limiter.hit(MUTATION, IP)).allowed


async def test_the_window_slides(make_limiter: MakeLimiter, clock: FakeClock) -> None:
    limiter = await make_limiter()
    await hits(limiter, 10)
    clock.advance(60)  # a fixed window would start afresh here; the sliding one still holds 10
    assert not (await limiter.hit(MUTATION, IP)).allowed
    clock.advance(30)  # half of the old window's hits still count: 5 of 10 fit
    assert [d.allowed for d in await hits(limiter, 6)] == [True] * 5 + [False]
    clock.advance(120)  # two quiet windows: the whole limit again
    decisions = await hits(limiter, 11)
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert decisions[0].remaining == 9


async def test_hits_spread_over_a_window_count_together(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = await make_limiter()
    for _ in range(10):
        assert (await limiter.hit(MUTATION, IP)).allowed
        clock.advance(5)
    assert not (await limiter.hit(MUTATION, IP)).allowed


async def test_keys_and_buckets_are_independent(make_limiter: MakeLimiter) -> None:
    limiter = await make_limiter()
    await hits(limiter, 10)
    assert not (await limiter.hit(MUTATION, IP)).allowed
    assert (await limiter.hit(MUTATION, OTHER_IP)).remaining == 9
    read = await limiter.hit(PUBLIC_READ, IP)
    assert read.allowed and read.remaining == 99
    assert [d.allowed for d in await hits(limiter, 6, AUTH, IP)] == [True] * 5 + [False]


async def test_repeated_offences_ban_the_key_everywhere_until_the_ban_ends(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = await make_limiter(BanRule())  # 5 refusals in 10 minutes: 15 minutes' ban
    await hits(limiter, 5, AUTH)
    refusals = await hits(limiter, 4, AUTH)
    assert not any(d.allowed or d.banned for d in refusals)
    clock.advance(1)
    fifth = await limiter.hit(AUTH, IP)
    assert fifth == Decision(False, 0, 900.0, banned=True)
    clock.advance(100)
    for bucket in (PUBLIC_READ, MUTATION, ANNOUNCE, AUTH):
        decision = await limiter.hit(bucket, IP)
        assert decision == Decision(False, 0, 800.0, banned=True)
    assert (await limiter.hit(PUBLIC_READ, OTHER_IP)).allowed
    clock.advance(799.5)
    assert (await limiter.hit(PUBLIC_READ, IP)).retry_after == pytest.approx(0.5)
    clock.advance(0.5)
    assert (await limiter.hit(PUBLIC_READ, IP)).allowed
    # the auth window has long slid by, and the offences were wiped by the ban
    assert [d.allowed for d in await hits(limiter, 5, AUTH)] == [True] * 5
    assert not any(d.banned for d in await hits(limiter, 4, AUTH))


async def test_a_ban_wipes_the_offences_that_earned_it(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    # a ban shorter than the offence window: once over, the key starts from no offences
    limiter = await make_limiter(BanRule(offences=3, offence_window=600, ban_seconds=60))
    hourly = Bucket("hourly", 1, 3600.0)
    decisions = await hits(limiter, 4, hourly)
    assert [(d.allowed, d.banned) for d in decisions] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    clock.advance(60)
    assert [d.banned for d in await hits(limiter, 3, hourly)] == [False, False, True]


async def test_offences_spread_wider_than_their_window_do_not_ban(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = await make_limiter(BanRule(offences=5, offence_window=600, ban_seconds=900))
    hourly = Bucket("hourly", 1, 3600.0)
    assert (await limiter.hit(hourly, IP)).allowed
    for _ in range(4):  # at 0, 1, 2, 3 s
        assert not (await limiter.hit(hourly, IP)).banned
        clock.advance(1)
    clock.advance(597)
    # at 601, 602, 603, 604: the last five always span 600 s or more
    for _ in range(4):
        decision = await limiter.hit(hourly, IP)
        assert not decision.allowed and not decision.banned
        clock.advance(1)
    assert (await limiter.hit(hourly, IP)).banned  # 601 ... 605


# --- Redis only -------------------------------------------------------------------------------


@pytest.fixture
async def redis_prefix(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, str]]:
    url = request.config.getoption("--redis-url")
    prefix = f"ts:test:{secrets.token_hex(8)}:"
    yield url, prefix
    cleaner = await connect(url)
    try:
        await cleaner.delete_prefix(prefix)
    finally:
        await cleaner.close()


@pytest.mark.redis
async def test_redis_and_memory_give_identical_decisions(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    clock = FakeClock()
    rule = BanRule(offences=4, offence_window=30, ban_seconds=45)
    memory = MemoryRateLimiter(clock=clock, bans=rule)
    shared = RedisRateLimiter(await connect(url), clock=clock, bans=rule, prefix=prefix)
    buckets = [Bucket("small", 3, 10.0), Bucket("odd", 7, 2.5), AUTH]
    rng = random.Random(20240611)
    try:
        for _ in range(1500):
            clock.advance(rng.choice([0, 0, 0.001, 0.37, 1.3, 4.1, 17.0]) * rng.random())
            bucket, key = rng.choice(buckets), rng.choice(["a", "b", "c"])
            assert await shared.hit(bucket, key) == await memory.hit(bucket, key)
    finally:
        await shared.close()


@pytest.mark.redis
async def test_redis_keys_expire_on_their_own(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    limiter = RedisRateLimiter(
        await connect(url), clock=FakeClock(), bans=BanRule(offences=2), prefix=prefix
    )
    try:
        await hits(limiter, 12)  # 10 counted, 2 refused: an offence list, then a ban
    finally:
        await limiter.close()
    reader = await connect(url)
    try:
        flat = await reader.script(PTTLS)(args=(f"{prefix}*",))
    finally:
        await reader.close()
    assert dict(zip(flat[::2], flat[1::2], strict=True)) == {
        f"{prefix}{{{IP}}}:w:mutation".encode(): pytest.approx(120_000, abs=5_000),
        f"{prefix}{{{IP}}}:b".encode(): pytest.approx(900_000, abs=5_000),
    }


# --- falling back to memory -------------------------------------------------------------------


class Switchable:
    """A primary limiter that fails with CacheError while `up` is False; counts its calls."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    async def hit(self, bucket: Bucket, key: str) -> Decision:
        self.calls += 1
        if not self.up:
            raise CacheError("redis script failed: ConnectionError", operation="script")
        return Decision(True, 42, 0.0)

    async def close(self) -> None:
        return


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING
    ]


async def test_fallback_switches_once_probes_now_and_then_and_comes_back(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    primary = Switchable()
    limiter = FallbackRateLimiter(
        primary, MemoryRateLimiter(clock=clock), clock=clock, retry_interval=5
    )
    assert (await limiter.hit(MUTATION, IP)).remaining == 42
    primary.up = False
    decisions = await hits(limiter, 30)  # memory counts from zero: 10 pass, then refusals
    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 20
    assert primary.calls == 2  # the failed one only; the others did not wait on it
    clock.advance(4.5)
    await limiter.hit(PUBLIC_READ, IP)
    assert primary.calls == 2
    clock.advance(0.5)
    await limiter.hit(PUBLIC_READ, IP)  # a probe, failing again
    await limiter.hit(PUBLIC_READ, IP)
    assert primary.calls == 3
    assert len(warnings_of(caplog)) == 1
    assert "Redis failed (CacheError" in warnings_of(caplog)[0]
    primary.up = True
    clock.advance(5)
    assert (await limiter.hit(PUBLIC_READ, IP)).remaining == 42
    assert (await limiter.hit(PUBLIC_READ, IP)).remaining == 42
    assert primary.calls == 5
    messages = warnings_of(caplog)
    assert len(messages) == 2 and "in Redis again (33 in memory)" in messages[1]
    assert not any(IP in r.getMessage() for r in caplog.records)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_redis_falls_back_to_memory(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    limiter = await open_rate_limiter(f"redis://127.0.0.1:{closed_port()}/0", clock=clock)
    try:
        decisions = await hits(limiter, 11)
        clock.advance(10)  # a probe, refused again
        decisions.append(await limiter.hit(MUTATION, IP))
    finally:
        await limiter.close()
    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 2
    messages = warnings_of(caplog)
    assert len(messages) == 1 and "CacheError" in messages[0]
    assert "127.0.0.1" not in caplog.text


async def test_without_a_redis_url_the_limits_stay_in_memory(clock: FakeClock) -> None:
    limiter = await open_rate_limiter("", clock=clock)
    assert isinstance(limiter, MemoryRateLimiter)
    assert (await limiter.hit(AUTH, IP)).remaining == 4
    with pytest.raises(CacheError):
        await open_rate_limiter("nonsense://x")


@pytest.fixture
async def frozen_redis() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: a frozen Redis."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # until the client hangs up; nothing is ever written

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    server.close()
    for writer in held:
        writer.close()
    await server.wait_closed()


async def test_a_frozen_redis_costs_a_request_no_more_than_the_bound(
    frozen_redis: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    shared = RedisRateLimiter(await connect(frozen_redis, ping=False), clock=clock, timeout=0.2)
    limiter = FallbackRateLimiter(shared, MemoryRateLimiter(clock=clock), clock=clock)
    try:
        started = time.monotonic()
        first = await limiter.hit(MUTATION, IP)
        waited = time.monotonic() - started
        assert first.allowed and first.remaining == 9
        assert 0.2 <= waited < 1.5  # the bound, far under the connection's own 3 s
        started = time.monotonic()
        assert (await limiter.hit(MUTATION, IP)).remaining == 8  # memory, Redis not asked
        assert time.monotonic() - started < 0.2
        with pytest.raises(CacheError, match="timed out"):
            await shared.hit(MUTATION, IP)
    finally:
        await limiter.close()
    assert len(warnings_of(caplog)) == 1


# --- the memory bound -------------------------------------------------------------------------


async def test_a_flood_of_addresses_stays_under_the_cap(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock=clock, max_keys=10_000)
    await hits(limiter, 10, MUTATION, IP)
    for n in range(100_000):
        await limiter.hit(MUTATION, f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}")
        assert len(limiter) <= 10_000
        if n % 1000 == 0:  # a key still in use keeps its state: least recently seen go first
            assert not (await limiter.hit(MUTATION, IP)).allowed
    assert len(limiter) == 10_000
    clock.advance(1000)  # every state outlived (the windows, IP's ban): the next hit drops them
    assert (await limiter.hit(MUTATION, OTHER_IP)).allowed
    assert len(limiter) == 1


async def test_a_flood_of_banned_addresses_stays_under_the_cap(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock=clock, bans=BanRule(offences=1), max_keys=1_000)
    once = Bucket("once", 1, 60.0)
    for n in range(20_000):
        key = f"2001:db8::{n:x}"
        await limiter.hit(once, key)
        assert (await limiter.hit(once, key)).banned
    assert len(limiter) == 1_000
    # the latest bans are kept: the key banned last is still banned
    assert (await limiter.hit(PUBLIC_READ, "2001:db8::4e1f")).banned


# --- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("GET", "/api/torrents", PUBLIC_READ),
        ("get", "/api/torrents?page=2", PUBLIC_READ),
        ("HEAD", "/api/torrents", PUBLIC_READ),
        ("GET", "/", PUBLIC_READ),
        ("POST", "/api/torrents", MUTATION),
        ("PUT", "/api/torrents/1", MUTATION),
        ("PATCH", "/api/users/me", MUTATION),
        ("DELETE", "/api/torrents/1", MUTATION),
        ("PROPFIND", "/api/torrents", MUTATION),  # unknown methods: the stricter bucket
        ("POST", "/api/auth/login", AUTH),
        ("GET", "/api/auth/session", AUTH),
        ("POST", "/api/auth", AUTH),
        ("POST", "//api//auth/login", AUTH),  # repeated slashes do not dodge the auth bucket
        ("GET", "/api/authors", PUBLIC_READ),
        ("POST", "/api/authors", MUTATION),
        ("GET", "/announce", ANNOUNCE),
        ("GET", "/announce/0123456789abcdef0123456789abcdef?info_hash=x", ANNOUNCE),
        ("HEAD", "/announce", ANNOUNCE),
        ("POST", "/announce", MUTATION),
        ("GET", "/announcements", PUBLIC_READ),
        ("OPTIONS", "/api/auth/login", None),  # CORS preflight
        ("OPTIONS", "/api/torrents", None),
    ],
)
def test_bucket_for(method: str, path: str, bucket: Bucket | None) -> None:
    assert bucket_for(method, path) is bucket


def test_the_contract_s_buckets() -> None:
    assert (PUBLIC_READ.limit, PUBLIC_READ.window) == (100, 60)
    assert (MUTATION.limit, MUTATION.window) == (10, 60)
    assert (AUTH.limit, AUTH.window) == (5, 300)
    assert (ANNOUNCE.limit, ANNOUNCE.window) == (200, 60)
    assert BanRule() == BanRule(offences=5, offence_window=600, ban_seconds=900)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Bucket("x", 0, 60),
        lambda: Bucket("x", 1, 0),
        lambda: BanRule(offences=0),
        lambda: BanRule(ban_seconds=0),
        lambda: MemoryRateLimiter(max_keys=0),
    ],
)
def test_nonsense_settings_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        make()
