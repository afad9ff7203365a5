"""Whether the database answers and can still write, for `/healthz`."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.db.errors import database_errors
from torrentstack.errors import DatabaseError

logger = logging.getLogger(__name__)

DatabaseState = str  # "ok", "unavailable" (no answer) or "read-only" (answers, cannot write)


def database_check(engine: AsyncEngine) -> Callable[[], Awaitable[DatabaseState]]:
    """A check that reads (`SELECT 1`) and writes (the probe row, committed)."""

    async def check() -> DatabaseState:
        try:
            with database_errors("reach the database"):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except DatabaseError as exc:  # "cannot reach the database: ConnectionRefusedError"
            logger.warning("health check: %s", exc)
            return "unavailable"
        try:
            with database_errors("write to the database"):
                async with engine.begin() as conn:
                    await conn.execute(
                        text("UPDATE health_probe SET checked_at = :now WHERE id = 1"),
                        {"now": time.time()},
                    )
        except DatabaseError as exc:  # a full disk, a read-only file or replica
            logger.warning("health check: %s", exc)
            return "read-only"
        return "ok"

    return check
