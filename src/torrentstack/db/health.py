"""Whether the database answers, for `/healthz`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)


def database_check(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """A check that runs `SELECT 1`: true when the database answers."""

    async def check() -> bool:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("health check: database unavailable (%s)", type(exc).__name__)
            return False
        return True

    return check
