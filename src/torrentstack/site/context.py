"""What every route of the site shares: settings, the database, time, the server secret; and
the request's database session (`Db`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from torrentstack.clock import Clock
from torrentstack.config import SiteSettings


@dataclass(frozen=True, slots=True)
class SiteContext:
    settings: SiteSettings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    secret: bytes  # the server's own: fake salts of unknown users
    tracker_port: int = 6969

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def site_context(request: Request) -> SiteContext:
    return cast(SiteContext, request.app.state.site)


async def database(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; a handler commits what it changes (nothing else is kept)."""
    async with site_context(request).sessions() as session:
        yield session


Context = Annotated[SiteContext, Depends(site_context)]
Db = Annotated[AsyncSession, Depends(database)]
