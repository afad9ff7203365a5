"""What every request to the site passes first: the IP banlist, then the rate limits of the
document's buckets (per client address), answering 403 or 429 in the one error shape."""

from __future__ import annotations

import ipaddress
import logging
import math
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from torrentstack.cache import CacheError
from torrentstack.clock import Clock
from torrentstack.site.admin.banned_ips import parse_address
from torrentstack.site.errors import error_body
from torrentstack.site.models import BannedIp
from torrentstack.site.ratelimit import Bucket, RateLimiter, bucket_for

logger = logging.getLogger(__name__)

_BANLIST_SECONDS = 10.0  # a new ban reaches every process of the site within this


class Banlist:
    """The banned addresses and networks, reread from the database every few seconds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._loaded_at = -math.inf
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []

    async def banned(self, address: str) -> bool:
        now = self._clock()
        if now - self._loaded_at >= _BANLIST_SECONDS:
            await self._load(now)
        ip = parse_address(address)  # an IPv4-mapped IPv6 address is its IPv4 one
        return ip is not None and any(ip in network for network in self._networks)

    async def _load(self, now: float) -> None:
        moment = datetime.fromtimestamp(now, UTC)
        async with self._sessions() as db:
            rows = list(await db.scalars(select(BannedIp)))
        networks = []
        for row in rows:
            if row.expires_at is not None and row.expires_at <= moment:
                continue
            try:
                networks.append(ipaddress.ip_network(row.ip, strict=False))
            except ValueError:
                logger.warning("site: a banned address that is not one is ignored")
        self._networks, self._loaded_at = networks, now


class RequestGuard:
    """ASGI middleware: banned addresses get 403, requests over a bucket's limit 429."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        banlist: Banlist,
        limits: dict[str, int],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.banlist = banlist
        self.limits = limits  # bucket name -> limit override; 0 turns the bucket off

    def _bucket(self, method: str, path: str) -> Bucket | None:
        bucket = bucket_for(method, path)
        if bucket is None or bucket.name not in self.limits:
            return bucket
        limit = self.limits[bucket.name]
        return None if limit <= 0 else Bucket(bucket.name, limit, bucket.window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else ""
        path = str(scope.get("path", ""))
        if address and await self.banlist.banned(address):
            body = error_body(path, 403, "Your address is banned")
            await JSONResponse(body, status_code=403)(scope, receive, send)
            return
        bucket = self._bucket(str(scope.get("method", "GET")), path)
        if bucket is not None and address:
            try:
                decision = await self.limiter.hit(bucket, address)
            except CacheError:  # the limiter falls back on its own; never fail a request on it
                decision = None
            if decision is not None and not decision.allowed:
                retry = max(1, math.ceil(decision.retry_after))
                message = (
                    "Too many requests: banned for a while"
                    if decision.banned
                    else ("Rate limit exceeded")
                )
                body = error_body(path, 429, message, {"retryAfter": retry, "bucket": bucket.name})
                headers = {"Retry-After": str(retry)}
                await JSONResponse(body, status_code=429, headers=headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)
