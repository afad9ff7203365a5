"""Whether the database answers, for `/healthz`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.db.errors import database_errors
from torrentstack.errors import DatabaseError

logger = logging.getLogger(__name__)


def database_check(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """A check that runs `SELECT 1`: true when the database answers."""

    async def check() -> bool:
        try:
            with database_errors("reach the database"):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except DatabaseError as exc:  # "cannot reach the database: ConnectionRefusedError"
            logger.warning("health check: %s", exc)
            return False
        return True

    return check
