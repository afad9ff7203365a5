"""Rate limits of the site: buckets, a decision per request, temporary bans of repeat offenders.

Sliding-window counter: per (bucket, key) the hits of this fixed window and of the previous one,
weighted by its share still inside the sliding window. Constant memory per key (a Redis hash of
about 140 bytes, where a sorted-set log holds a member per hit: 4 KB at 100, 25 KB at 200) for
some accuracy: the estimate assumes evenly spread hits, so a burst packed around a window
boundary can pass up to twice the limit within one window's length (the long-run rate never
exceeds it). Refused hits are not counted but are offences; enough of them ban the key.
`MemoryRateLimiter` and the Lua script are twins computed in the same order, deciding alike to
the last bit: change them together. Keys (an address, a user id; never secrets) are not logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Protocol

from torrentstack.cache import CacheError
from torrentstack.cache.redis import RedisConnection, connect
from torrentstack.clock import Clock, system_clock
from torrentstack.periodic import describe

logger = logging.getLogger(__name__)

# A fraction of one request by which an estimate may exceed its bound and still pass: stepping a
# clock by exactly `retry_after` lands within a few ulps of the boundary, on either side.
_SLACK = 1e-4


@dataclass(frozen=True, slots=True)
class Bucket:
    """At most `limit` requests per key in any sliding `window` seconds."""

    name: str
    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError(f"bucket {self.name!r}: limit must be >= 1 and window > 0")


PUBLIC_READ = Bucket("read", 100, 60.0)
MUTATION = Bucket("mutation", 10, 60.0)
AUTH = Bucket("auth", 5, 300.0)
ANNOUNCE = Bucket("announce", 200, 60.0)

_SLASHES = re.compile(r"/{2,}")


def bucket_for(method: str, path: str) -> Bucket | None:
    """The bucket of a request (`path` as routed, decoded), or None when it is not limited.

    OPTIONS is not: it is a CORS preflight, its request is counted itself. Auth paths are auth
    whatever the method; elsewhere HEAD is a read and any method but GET and HEAD a mutation
    (unknown ones too: the stricter choice).
    """
    method = method.upper()
    if method == "OPTIONS":
        return None
    path = _SLASHES.sub("/", path.partition("?")[0])
    if path == "/api/auth/status" and method in ("GET", "HEAD"):
        return PUBLIC_READ  # who is logged in: pages poll it, it proves nothing
    if path == "/api/auth" or path.startswith("/api/auth/"):
        return AUTH
    if method not in ("GET", "HEAD"):
        return MUTATION
    if path == "/announce" or path.startswith("/announce/"):
        return ANNOUNCE
    return PUBLIC_READ


@dataclass(frozen=True, slots=True)
class BanRule:
    """`offences` refused requests within `offence_window` seconds ban a key for `ban_seconds`."""

    offences: int = 5
    offence_window: float = 600.0
    ban_seconds: float = 900.0

    def __post_init__(self) -> None:
        if self.offences < 1 or self.offence_window <= 0 or self.ban_seconds <= 0:
            raise ValueError("ban rule: offences must be >= 1 and both durations > 0")


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may pass; when not, `retry_after` seconds until one would (Retry-After
    wants it rounded up). `remaining` counts the requests still allowed right after this one."""

    allowed: bool
    remaining: int
    retry_after: float
    banned: bool = False


class RateLimiter(Protocol):
    async def hit(self, bucket: Bucket, key: str) -> Decision:
        """Say whether a request of `key` in `bucket` may pass, counting it if so."""

    async def close(self) -> None: ...


def _decide(bucket: Bucket, now: float, index: int, prev: int, curr: int) -> Decision:
    """The decision for counts already moved to window `index` (the Lua script's twin)."""
    limit, window = bucket.limit, bucket.window
    elapsed = min(max((now - index * window) / window, 0.0), 1.0)
    estimate = prev * (1.0 - elapsed) + curr
    if estimate + 1 <= limit + _SLACK:
        return Decision(True, math.floor(limit - estimate - 1 + _SLACK), 0.0)
    # When the estimate falls to limit - 1: in this window if its own count leaves room (the
    # older count fading out), else in the next, where this window's count fades out.
    base, p, c = (index + 1, curr, 0) if curr > limit - 1 else (index, prev, curr)
    retry = base * window + (1 - (limit - 1 - c) / p) * window - now
    return Decision(False, 0, max(retry, 0.0))


@dataclass(slots=True)
class _KeyState:
    windows: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # index, prev, curr
    offences: deque[float] | None = None  # times of the latest refusals
    banned_until: float = 0.0
    expires: float = 0.0  # when nothing of this state matters any more


class MemoryRateLimiter:
    """Limits in this process; at most `max_keys` keys (least recently seen evicted first), each
    about 550 bytes with one bucket and 100 per other one. Stale states go as hits come."""

    def __init__(
        self, *, clock: Clock = system_clock, bans: BanRule = BanRule(), max_keys: int = 100_000
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self._clock = clock
        self._bans = bans
        self._max_keys = max_keys
        self._keys: OrderedDict[str, _KeyState] = OrderedDict()  # least recently hit first

    def __len__(self) -> int:  # how many keys have a state
        return len(self._keys)

    async def hit(self, bucket: Bucket, key: str) -> Decision:
        now = self._clock()
        keys = self._keys
        while keys and next(iter(keys.values())).expires <= now:
            keys.popitem(last=False)
        state = keys.get(key)
        if state is None:
            state = keys[key] = _KeyState()
            if len(keys) > self._max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
        if state.banned_until > now:
            return Decision(False, 0, state.banned_until - now, banned=True)
        index, prev, curr = math.floor(now / bucket.window), 0, 0
        stored = state.windows.get(bucket.name, (-1, 0, 0))
        if stored[0] >= index:  # this window (or a later one: the clock stepped back)
            index, prev, curr = stored
        elif stored[0] == index - 1:
            prev = stored[2]
        decision = _decide(bucket, now, index, prev, curr)
        if decision.allowed:
            state.windows[bucket.name] = (index, prev, curr + 1)
            state.expires = max(state.expires, (index + 2) * bucket.window)
            return decision
        rule = self._bans
        if state.offences is None:
            state.offences = deque(maxlen=rule.offences)
        state.offences.append(now)
        if len(state.offences) == rule.offences and now - state.offences[0] < rule.offence_window:
            state.offences = None
            state.banned_until = now + rule.ban_seconds
            state.expires = max(state.expires, state.banned_until)
            return Decision(False, 0, rule.ban_seconds, banned=True)
        state.expires = max(state.expires, now + rule.offence_window)
        return decision

    async def close(self) -> None:
        self._keys.clear()


# KEYS: the window hash (i index, p prev, c curr), the offence list, the ban (its end). ARGV:
# now, limit, window, offences, offence_window, ban_seconds, _SLACK. Reply: allowed, remaining,
# retry_after as text (Redis truncates numbers), banned. `now` is the caller's clock, not Redis
# TIME, so tests can step it; the cost: the site's processes must keep their clocks in step
# (NTP), a skew shifting windows by as much. Expiry (Redis's clock) only collects, with room.
_HIT = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local offences, offence_window, ban = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function text(x) return string.format('%.17g', x) end
local banned_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if banned_until > now then return {0, 0, text(banned_until - now), 1} end
local index, prev, curr = math.floor(now / window), 0, 0
local stored = redis.call('HMGET', KEYS[1], 'i', 'p', 'c')
local stored_index = tonumber(stored[1]) or -1
if stored_index >= index then
  index, prev, curr = stored_index, tonumber(stored[2]), tonumber(stored[3])
elseif stored_index == index - 1 then prev = tonumber(stored[3]) end
local elapsed = math.min(math.max((now - index * window) / window, 0), 1)
local estimate = prev * (1 - elapsed) + curr
if estimate + 1 <= limit + tonumber(ARGV[7]) then
  redis.call('HSET', KEYS[1], 'i', index, 'p', prev, 'c', curr + 1)
  redis.call('PEXPIRE', KEYS[1], math.ceil(2000 * window))
  return {1, math.floor(limit - estimate - 1 + tonumber(ARGV[7])), '0', 0}
end
local base, p, c = index, prev, curr
if curr > limit - 1 then base, p, c = index + 1, curr, 0 end
local retry = math.max(base * window + (1 - (limit - 1 - c) / p) * window - now, 0)
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -offences, -1)
redis.call('PEXPIRE', KEYS[2], math.ceil(1000 * offence_window))
if redis.call('LLEN', KEYS[2]) == offences
    and now - tonumber(redis.call('LINDEX', KEYS[2], 0)) < offence_window then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[3], text(now + ban), 'PX', math.ceil(1000 * ban))
  return {0, 0, text(ban), 1}
end
return {0, 0, text(retry), 0}
"""


class RedisRateLimiter:
    """Limits shared by the site's processes: one atomic script run per hit, keys under `prefix`.

    A run longer than `timeout` seconds (the connection's own 3 s is too long for a request)
    raises CacheError, as a failed one does. Owns its connection; closes it in `close()`.
    """

    def __init__(
        self,
        connection: RedisConnection,
        *,
        clock: Clock = system_clock,
        bans: BanRule = BanRule(),
        prefix: str = "ts:site:ratelimit:",
        timeout: float = 0.5,
    ) -> None:
        self._connection = connection
        self._script = connection.script(_HIT)
        self._clock = clock
        self._bans = bans
        self._prefix = prefix
        self._timeout = timeout

    async def hit(self, bucket: Bucket, key: str) -> Decision:
        base = f"{self._prefix}{{{key}}}:"
        rule = self._bans
        args = (self._clock(), bucket.limit, bucket.window, rule.offences, rule.offence_window)
        try:
            async with asyncio.timeout(self._timeout):
                reply = await self._script(
                    keys=(f"{base}w:{bucket.name}", f"{base}o", f"{base}b"),
                    args=(*args, rule.ban_seconds, _SLACK),
                )
        except TimeoutError as exc:
            raise CacheError("redis script timed out", operation="script") from exc
        allowed, remaining, retry_after, banned = reply
        return Decision(allowed == 1, int(remaining), float(retry_after), banned == 1)

    async def close(self) -> None:
        await self._connection.close()


class FallbackRateLimiter:
    """`primary` (Redis) while it answers, else `fallback` (memory, counting per process), trying
    the primary at most every `retry_interval` seconds. Each switch is logged once."""

    def __init__(
        self,
        primary: RateLimiter,
        fallback: RateLimiter,
        *,
        clock: Clock = system_clock,
        retry_interval: float = 5.0,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._clock = clock
        self._retry_interval = retry_interval
        self._retry_at: float | None = None  # None while the primary is in use
        self._fallback_hits = 0

    async def hit(self, bucket: Bucket, key: str) -> Decision:
        if self._retry_at is None or self._clock() >= self._retry_at:
            if self._retry_at is not None:  # this request probes; the others go on in memory
                self._retry_at = self._clock() + self._retry_interval
            try:
                decision = await self._primary.hit(bucket, key)
            except CacheError as exc:
                if self._retry_at is None:
                    logger.warning("rate limits in memory: Redis failed (%s)", describe(exc))
                self._retry_at = self._clock() + self._retry_interval
            else:
                if self._retry_at is not None:
                    logger.warning("rate limits in Redis again (%d in memory)", self._fallback_hits)
                    self._retry_at, self._fallback_hits = None, 0
                return decision
        self._fallback_hits += 1
        return await self._fallback.hit(bucket, key)

    async def close(self) -> None:
        try:
            await self._primary.close()
        finally:
            await self._fallback.close()


async def open_rate_limiter(
    redis_url: str, *, clock: Clock = system_clock, bans: BanRule = BanRule()
) -> RateLimiter:
    """The site's limiter: in memory when `redis_url` is empty, else Redis falling back to memory
    (starting even while Redis is down). A malformed URL raises CacheError."""
    memory = MemoryRateLimiter(clock=clock, bans=bans)
    if not redis_url:
        return memory
    shared = RedisRateLimiter(await connect(redis_url, ping=False), clock=clock, bans=bans)
    return FallbackRateLimiter(shared, memory, clock=clock)
