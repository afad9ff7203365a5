"""The site service: its API app behind the request guard on its listener, the system roles
made at start."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.types import ASGIApp

from torrentstack.clock import Clock
from torrentstack.config import SiteSettings
from torrentstack.serving.health import with_healthz
from torrentstack.serving.server import Listener
from torrentstack.site.accounts.registration import ensure_system_roles
from torrentstack.site.app import site_app
from torrentstack.site.context import SiteContext
from torrentstack.site.guard import Banlist, RequestGuard
from torrentstack.site.ratelimit import RateLimiter, open_rate_limiter

logger = logging.getLogger(__name__)


class SiteRuntime:
    """The site (Trackarr's API) as a service of the stack."""

    name = "site"

    def __init__(
        self,
        settings: SiteSettings,
        *,
        database: AsyncEngine,
        clock: Clock,
        secret: bytes,
        tracker_port: int = 6969,
        redis_url: str = "",
        access_log: bool = False,
    ) -> None:
        self.settings = settings
        self.access_log = access_log
        self.redis_url = redis_url
        self.limiter: RateLimiter | None = None
        self.context = SiteContext(
            settings=settings,
            sessions=async_sessionmaker(database, expire_on_commit=False),
            clock=clock,
            secret=secret,
            tracker_port=tracker_port,
        )

    async def app(self) -> ASGIApp:
        """The site's app behind its guard (banlist, rate limits); the roles made first."""
        async with self.context.sessions() as db:
            await ensure_system_roles(db)
        if self.limiter is None:
            self.limiter = await open_rate_limiter(self.redis_url, clock=self.context.clock)
        return RequestGuard(
            site_app(self.context),
            limiter=self.limiter,
            banlist=Banlist(self.context.sessions, self.context.clock),
            limits=dict(self.settings.rate_limits),
        )

    async def start(self, health: Starlette) -> list[Listener]:
        app = with_healthz(await self.app(), health)
        settings = self.settings
        return [Listener(self.name, settings.host, settings.port, app, self.access_log)]

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def close(self) -> None:
        if self.limiter is not None:
            await self.limiter.close()
            self.limiter = None
