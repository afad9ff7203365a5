"""Composition root: build the enabled services from settings, wire their seams, run them.

Nothing imports this module but the command line. Each service gets its own listener with
`/healthz`; the services' own routes are mounted here as their issues land.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from torrentstack import __version__, generated_secrets
from torrentstack.client.runtime import ClientRuntime
from torrentstack.clock import system_clock
from torrentstack.config import SERVICES, ListenerSettings, Settings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.errors import ConfigError
from torrentstack.server import Listener, serve
from torrentstack.tracker.policy import OpenRegistry
from torrentstack.tracker.runtime import TrackerRuntime

logger = logging.getLogger(__name__)


def selected_services(settings: Settings, names: Sequence[str] = ()) -> list[str]:
    """Return the services to start: those named, or else every enabled one."""
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise ConfigError(
            f"unknown service {unknown[0]!r} (choose from {', '.join(SERVICES)})", key=unknown[0]
        )
    if names:
        return list(dict.fromkeys(names))
    chosen = [name for name in SERVICES if _listener_settings(settings, name).enabled]
    if not chosen:
        raise ConfigError("every service is disabled: enable one or name it on the command line")
    return chosen


def _listener_settings(settings: Settings, name: str) -> ListenerSettings:
    section = getattr(settings, name)
    assert isinstance(section, ListenerSettings)  # noqa: S101 - SERVICES names listener sections
    return section


def _tracker_runtime(settings: Settings, engine: AsyncEngine, data_dir: Path) -> TrackerRuntime:
    tokens = list(settings.tracker.api_tokens)
    if not tokens:
        token, created = generated_secrets.load_or_create(data_dir, "tracker-api-token")
        if created:
            logger.warning(
                "tracker admin API: generated access token %s (shown once; kept in %s)",
                token,
                data_dir / "secrets",
            )
        tokens = [token]
    return TrackerRuntime(
        settings.tracker,
        engine=engine,
        registry=OpenRegistry(),
        clock=system_clock,
        api_tokens=tokens,
        redis_url=settings.redis.url,
        access_log=settings.log.access_log,
    )


def health_app(service: str, engine: AsyncEngine) -> Starlette:
    """Return the ASGI app of a service listener: `/healthz` reports the service and database."""

    async def healthz(_request: Request) -> JSONResponse:
        database = "ok"
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            logger.warning("health check: database unavailable", exc_info=True)
            database = "unavailable"
        body = {
            "status": "ok" if database == "ok" else "degraded",
            "service": service,
            "version": __version__,
            "database": database,
        }
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET", "HEAD"])])


async def run(
    settings: Settings,
    services: Sequence[str] = (),
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Start the chosen services; return after `stop` is set or SIGINT/SIGTERM arrives."""
    names = selected_services(settings, services)
    data_dir = settings.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database, data_dir)
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = []
    try:
        await migrate.upgrade(engine)
        listeners: list[Listener] = []
        background: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = []
        for name in names:
            health = health_app(name, engine)
            if name == "tracker":
                tracker = _tracker_runtime(settings, engine, data_dir)
                listeners += await tracker.start(health)
                background.append(tracker.run)
                continue
            if name == "client":
                client = ClientRuntime(
                    settings.client,
                    database=engine,
                    data_dir=data_dir,
                    clock=system_clock,
                    stop=stop,
                )
                closers.append(client.close)  # also when something after this fails
                await client.start()
                listeners.append(client.listener(health, settings.log.access_log))
                background.append(client.run)
                continue
            section = _listener_settings(settings, name)
            listeners.append(
                Listener(
                    name=name,
                    host=section.host,
                    port=section.port,
                    app=health,
                    access_log=settings.log.access_log,
                )
            )
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
            except (NotImplementedError, RuntimeError):  # not the main thread, or no signals
                pass
        logger.info(
            "torrentstack %s starting: %s (data in %s)", __version__, ", ".join(names), data_dir
        )
        try:
            async with asyncio.TaskGroup() as group:
                for job in background:
                    group.create_task(job(stop))
                await serve(listeners, stop, ready)
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first failure, e.g. a ListenError
        finally:
            stop.set()  # a listener that failed to start stops the background work too
        logger.info("torrentstack stopped")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        for close in closers:
            await close()
        await engine.dispose()
