"""A small typed wrapper over `redis.asyncio`: connect, Lua scripts, prefix cleanup, close.

The only module in torrentstack that imports redis. Every redis-py or socket error becomes a
`CacheError` here; script replies come back as redis-py returns them (bytes, ints, lists).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from torrentstack.cache import CacheError

Arg = bytes | str | int | float

_GLOB_SPECIAL = re.compile(rb"([*?\[\]\\])")
_DELETE_BATCH = 500

# A command answers in well under a millisecond; one that waits this long meets a server that
# is frozen or unreachable, and fails (CacheError) instead of holding its caller indefinitely.
# redis-py's defaults differ by version (no timeout in older releases, several retries with
# backoff in newer ones), so they are set here: no retries, a failure is reported at once and
# the next command connects again.
_CONNECT_TIMEOUT = 2.0
_COMMAND_TIMEOUT = 3.0


def _error(operation: str, exc: Exception) -> CacheError:
    # The message names the exception type only: a connection error may carry the URL, and
    # with it a password.
    return CacheError(f"redis {operation} failed: {type(exc).__name__}", operation=operation)


class RedisScript:
    """A Lua script registered on a connection; run it with keys and arguments."""

    __slots__ = ("_script",)

    def __init__(self, script: Any) -> None:
        self._script = script

    async def __call__(self, keys: Sequence[bytes | str] = (), args: Sequence[Arg] = ()) -> Any:
        """Run the script (EVALSHA, loading it first if the server lacks it); return its reply."""
        try:
            return await self._script(keys, args)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise _error("script", exc) from exc


class RedisConnection:
    """A pool of connections to one Redis server, replies undecoded (bytes)."""

    __slots__ = ("_client",)

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client

    def script(self, source: str) -> RedisScript:
        """Register a Lua script; nothing is sent until it first runs."""
        return RedisScript(self._client.register_script(source))

    async def delete_prefix(self, prefix: bytes | str) -> int:
        """Delete every key starting with `prefix` (SCAN + UNLINK); return how many."""
        raw = prefix.encode() if isinstance(prefix, str) else prefix
        pattern = _GLOB_SPECIAL.sub(rb"\\\1", raw) + b"*"
        deleted = 0
        try:
            batch: list[bytes] = []
            async for key in self._client.scan_iter(match=pattern, count=_DELETE_BATCH):
                batch.append(key)
                if len(batch) >= _DELETE_BATCH:
                    deleted += await self._client.unlink(*batch)
                    batch = []
            if batch:
                deleted += await self._client.unlink(*batch)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise _error("delete", exc) from exc
        return deleted

    async def close(self) -> None:
        """Close every connection of the pool."""
        try:
            await self._client.aclose()
        except (redis.exceptions.RedisError, OSError) as exc:
            raise _error("close", exc) from exc


async def connect(url: str, *, ping: bool = True) -> RedisConnection:
    """Open a connection pool to `url` (redis:// or rediss://) and check it with PING.

    With `ping=False` nothing is sent: the first command connects, so a caller that must start
    while Redis is down (and fall back meanwhile) gets its connection all the same.
    """
    try:
        client = redis.asyncio.Redis.from_url(
            url,
            socket_connect_timeout=_CONNECT_TIMEOUT,
            socket_timeout=_COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:  # a malformed URL; the text is not repeated, it may hold a password
        raise CacheError("bad redis URL", operation="connect") from exc
    if not ping:
        return RedisConnection(client)
    try:
        await client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        await client.aclose()
        raise _error("connect", exc) from exc
    return RedisConnection(client)
