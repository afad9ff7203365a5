"""The debrid service: the bridge over its providers, on one listener (:8282) serving the
qBittorrent API for the arrs (`/api/v2/*`), Decypharr's `/api/*` and `/login`, and WebDAV."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from torrentstack.clock import Clock
from torrentstack.config.debrid import DebridSettings
from torrentstack.debrid.api.access import Access
from torrentstack.debrid.api.app import debrid_api
from torrentstack.debrid.api.repair import repair_router
from torrentstack.debrid.arr_book import ArrBook, Check
from torrentstack.debrid.arr_calls import ArrCalls, arr_accepts
from torrentstack.debrid.bridge import Bridge, Delivery
from torrentstack.debrid.messages import Messages
from torrentstack.debrid.mount_tree import MountTree
from torrentstack.debrid.providers.base import Provider
from torrentstack.debrid.qbittorrent_backend import (
    AddContext,
    DebridBackend,
    current_add,
    register,
)
from torrentstack.debrid.repair import RepairJobs
from torrentstack.debrid.repair_table import TableJobStore
from torrentstack.debrid.store import DebridStore
from torrentstack.debrid.webdav import webdav_app
from torrentstack.periodic import Periodic
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent_api.auth import Authenticator
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.serving.server import Listener

logger = logging.getLogger(__name__)

PERSONA = "4.6"  # what the arrs see (Decypharr says 4.3.2; the arrs need >= 4.1 for categories)
WEB_SESSION_DAYS = 7


class DebridRuntime:
    name = "debrid"

    def __init__(
        self,
        settings: DebridSettings,
        *,
        database: AsyncEngine,
        data_dir: Path,
        clock: Clock,
        stop: asyncio.Event,
        providers: Sequence[Provider],
        password_hash: str,
        api_token: str,
        download_uncached: Mapping[str, bool] | None = None,
        arr_check: Check | None = None,
        access_log: bool = False,
    ) -> None:
        self.settings = settings
        # per provider name, whether it may fetch what it does not have (default: the settings')
        self.download_uncached = dict(
            download_uncached
            if download_uncached is not None
            else {e.label: e.download_uncached for e in settings.providers}
        )
        self.access_log = access_log
        self.clock = clock
        self.providers = list(providers)
        self.download_folder = (
            Path(settings.download_folder) if settings.download_folder
            else data_dir / "debrid" / "downloads"
        )  # fmt: skip
        self.store = DebridStore(database, clock)
        self.persona = PERSONAS[PERSONA]
        self.arrs = ArrBook(self.store, arr_check or arr_accepts, settings.arrs)
        self.arr_calls = ArrCalls(self.arrs)
        self.bridge = Bridge(
            self.providers,
            self.store,
            Delivery(
                action=settings.action,
                download_folder=self.download_folder,
                mount_path=settings.mount_path,
                mount_timeout=settings.mount_timeout,
                base_url=settings.public_url or f"http://{_reach(settings.host)}:{settings.port}",
            ),
            uncached_default=self._uncached_default,
            notify=self.arr_calls.completed,
        )
        self.backend = DebridBackend(
            self.bridge, self.persona, self.download_folder,
            [a.name for a in settings.arrs] or ["sonarr", "radarr"], stop.set, Messages(clock),
        )  # fmt: skip
        self.qbt_auth = Authenticator(settings.username, password_hash, clock=clock)
        self.qbt_auth.external = self.arrs.login
        web = Authenticator(
            settings.username, password_hash, clock=clock, timeout=WEB_SESSION_DAYS * 86400
        )
        self.access = Access(api_token, web)
        self.api = WebApi(self.persona, self.qbt_auth)
        self._register_qbittorrent_api()
        self.poller = Periodic("debrid-poll", self.bridge.poll, settings.refresh_interval)
        self.repair = RepairJobs(
            TableJobStore(self.store), self.arr_calls.client, clock=clock,
            known_arrs=self.arr_calls.names,
        )  # fmt: skip
        self.extra_routes: list[BaseRoute] = []

    def _register_qbittorrent_api(self) -> None:
        api = self.api
        register(api, self.backend)
        plain_add = api.handlers["torrents/add"]

        async def add(call: Call) -> Response:
            """qBittorrent's add, knowing the arr behind the session and Decypharr's `debrid`."""
            category = call.params.get("category", "").strip()
            if call.session is not None and call.session.identity:
                await self.arrs.learn(call.session.identity, category)
            token = current_add.set(AddContext(provider=call.params.get("debrid", "").strip()))
            try:
                return await plain_add(call)
            finally:
                current_add.reset(token)

        api.add("torrents/add", add)

    def _uncached_default(self, provider: str) -> bool:
        for name, uncached in self.download_uncached.items():
            if not provider or name == provider:
                return uncached
        return False

    async def start(self, health: Starlette) -> list[Listener]:
        await self.arrs.load()
        await self.bridge.load()
        await self.repair.load()
        app = debrid_api(
            bridge=self.bridge, arrs=self.arrs, access=self.access, persona=self.persona,
            routers=[repair_router(self.repair, self.access.require)],
        )  # fmt: skip
        dav = webdav_app(MountTree(self.bridge), self._dav_allowed)
        routes = [*health.routes, *dav.routes, *self.extra_routes, Mount("/", app)]
        return [
            Listener(
                name=self.name,
                host=self.settings.host,
                port=self.settings.port,
                app=self.api.app(routes),
                access_log=self.access_log,
            )
        ]

    async def _dav_allowed(self, request: Request) -> bool:
        return await self.access.webdav_ok(request.headers.get("authorization", ""))

    async def run(self, stop: asyncio.Event) -> None:
        await self.poller.tick()  # resume what a restart interrupted, at once
        await self.poller.run(stop)

    async def close(self) -> None:
        await self.repair.close()
        await self.backend.close()
        await self.bridge.close()
        await self.arr_calls.close()
        for provider in self.providers:
            try:
                await provider.close()
            except Exception:  # closing never stops at the first failure
                logger.exception("debrid: closing %s failed", provider.name)


def _reach(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 - reading a listen address
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
