"""Composition root: build the enabled services from settings, run them, close them.

Nothing imports this module but the command line. Which services exist and how each is built is
`services.CATALOGUE`; this module only runs what it builds, names none of them, and closes each
one it started whatever fails.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from pathlib import Path

from torrentstack import __version__
from torrentstack.clock import system_clock
from torrentstack.config import SERVICES, ListenerSettings, Settings
from torrentstack.data_lock import data_directory_lock
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.db.health import database_check
from torrentstack.errors import ConfigError
from torrentstack.services import CATALOGUE, Shared
from torrentstack.serving.health import health_app
from torrentstack.serving.limits import Limits
from torrentstack.serving.server import Listener, serve
from torrentstack.serving.service import Service

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
    with data_directory_lock(data_dir):
        await _run(settings, names, data_dir, stop, ready)


async def _run(
    settings: Settings,
    names: list[str],
    data_dir: Path,
    stop: asyncio.Event | None,
    ready: asyncio.Event | None,
) -> None:
    engine = create_engine(settings.database, data_dir)
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    started: list[Service] = []
    try:
        await migrate.upgrade(engine)
        shared = Shared(settings, engine, data_dir, system_clock, stop)
        check = database_check(engine)
        listeners: list[Listener] = []
        for name in names:
            service = CATALOGUE[name](shared)
            started.append(service)  # closed below even when its start fails half-way
            listeners += await service.start(health_app(service.name, check))
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
            except (NotImplementedError, RuntimeError):  # not the main thread, or no signals
                pass
        logger.info(
            "torrentstack %s starting: %s (data in %s)", __version__, ", ".join(names), data_dir
        )
        serving = settings.serving
        try:
            async with asyncio.TaskGroup() as group:
                for service in started:
                    group.create_task(service.run(stop), name=f"{service.name}-run")
                await serve(
                    listeners,
                    stop,
                    ready,
                    limits=Limits(
                        max_header_bytes=serving.max_header_bytes,
                        header_timeout=serving.header_timeout,
                        body_timeout=serving.body_timeout,
                        keep_alive_timeout=serving.keep_alive_timeout,
                    ),
                    max_connections=serving.max_connections,
                    fd_reserve=serving.fd_reserve,
                )
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first failure, e.g. a ListenError
        finally:
            stop.set()  # a listener that failed to start stops the background work too
        logger.info("torrentstack stopped")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        for service in reversed(started):
            await _close(service)
        await engine.dispose()


async def _close(service: Service) -> None:
    """Close one service; a failure is logged, so the others are still closed."""
    try:
        await service.close()
    except Exception as exc:
        logger.error("%s: closing failed (%s)", service.name, type(exc).__name__, exc_info=True)
