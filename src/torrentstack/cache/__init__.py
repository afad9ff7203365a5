"""Shared caches between processes; `redis.py` is the only module that imports redis.

`CacheError` is what callers catch: redis-py's own exceptions never leave `cache/redis.py`.
"""

from __future__ import annotations

from torrentstack.errors import TorrentstackError


class CacheError(TorrentstackError):
    """The cache server could not be reached or refused a command; `operation` says which."""

    def __init__(self, message: str, *, operation: str) -> None:
        self.operation = operation
        super().__init__(message)
