"""The service catalogue: how each service of the stack is built from the settings.

Part of the composition root (beside `app.py`, which runs what this builds): the only place
that names the services and wires their seams (the tracker's `Registry`, later the site's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from torrentstack import generated_secrets
from torrentstack.client.runtime import ClientRuntime
from torrentstack.clock import Clock
from torrentstack.config import Settings
from torrentstack.config.debrid import ProviderSettings
from torrentstack.crossseed.runtime import CrossseedRuntime
from torrentstack.debrid.providers.catalogue import build_provider
from torrentstack.debrid.runtime import DebridRuntime
from torrentstack.qbittorrent_api.auth import hash_password
from torrentstack.serving.service import Service
from torrentstack.site.registry import SiteRegistry
from torrentstack.site.runtime import SiteRuntime
from torrentstack.site.torznab.owner import owner_torznab_key
from torrentstack.tracker.policy import OpenRegistry, Registry
from torrentstack.tracker.runtime import TrackerRuntime

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Shared:
    """What the composition root hands every service: settings, database, data, time, stop."""

    settings: Settings
    database: AsyncEngine
    data_dir: Path
    clock: Clock
    stop: asyncio.Event  # set by a service to stop the whole process (qBittorrent's shutdown)


def _registry(shared: Shared) -> Registry:
    """A private tracker's members are the site's (its tables, so the site may run in this
    process or another); a public tracker has none."""
    settings = shared.settings
    if not settings.tracker.mode.startswith("private"):
        return OpenRegistry()
    return SiteRegistry(
        async_sessionmaker(shared.database, expire_on_commit=False),
        shared.clock,
        max_rate=settings.site.max_credited_rate,
        first_interval=settings.tracker.announce_interval,
    )


def _tracker(shared: Shared) -> Service:
    settings = shared.settings
    tokens = list(settings.tracker.api_tokens)
    if not tokens:
        token, created = generated_secrets.load_or_create(shared.data_dir, "tracker-api-token")
        if created:
            logger.warning(
                "tracker admin API: generated access token %s (shown once; kept in %s)",
                token,
                shared.data_dir / "secrets",
            )
        tokens = [token]
    return TrackerRuntime(
        settings.tracker,
        engine=shared.database,
        registry=_registry(shared),
        clock=shared.clock,
        api_tokens=tokens,
        redis_url=settings.redis.url,
        access_log=settings.log.access_log,
    )


def _site(shared: Shared) -> Service:
    settings = shared.settings
    secret, _ = generated_secrets.load_or_create(shared.data_dir, "site-secret", nbytes=32)
    return SiteRuntime(
        settings.site,
        database=shared.database,
        clock=shared.clock,
        secret=secret.encode(),
        tracker_port=settings.tracker.port,
        redis_url=settings.redis.url,
        access_log=settings.log.access_log,
    )


CROSSSEED_USER = "cross-seed"  # the client login the stack's cross-seed daemon uses
DEBRID_USER = "debrid"  # the client login of the debrid bridge's `local` provider


def _debrid_client_password(data_dir: Path) -> str:
    password, _ = generated_secrets.load_or_create(data_dir, "debrid-client-password")
    return password


def _crossseed_client_password(shared: Shared) -> str:
    """The client password of the stack's own cross-seed (kept in the data directory, so a
    daemon in another process with the same data directory logs in too)."""
    password, _ = generated_secrets.load_or_create(shared.data_dir, "crossseed-client-password")
    return password


def _client(shared: Shared) -> Service:
    return ClientRuntime(
        shared.settings.client,
        database=shared.database,
        data_dir=shared.data_dir,
        clock=shared.clock,
        stop=shared.stop,
        access_log=shared.settings.log.access_log,
        service_accounts={
            CROSSSEED_USER: _crossseed_client_password(shared),
            DEBRID_USER: _debrid_client_password(shared.data_dir),
        },
        torznab_source=_site_feed(shared.settings, shared.database)
        if shared.settings.site.enabled and not shared.settings.client.search_torznab
        else None,
    )


def crossseed_api_key(settings: Settings, data_dir: Path) -> tuple[str, bool]:
    """The daemon's API key: the configured one, or the generated one (created=True once)."""
    if settings.crossseed.api_key:
        return settings.crossseed.api_key, False
    return generated_secrets.load_or_create(data_dir, "crossseed-api-key")


def crossseed_runtime(
    settings: Settings, database: AsyncEngine, data_dir: Path, clock: Clock
) -> CrossseedRuntime:
    """cross-seed over the configured clients and indexers; with none configured, the stack's
    own client (when enabled) is its client. Also what `torrentstack crossseed search` runs."""
    key, created = crossseed_api_key(settings, data_dir)
    if created:
        logger.warning(
            "cross-seed: generated API key %s (shown once; `torrentstack crossseed api-key` "
            "prints it)",
            key,
        )
    clients: list[str] = []
    if not settings.crossseed.torrent_clients and settings.client.enabled:
        password, _ = generated_secrets.load_or_create(data_dir, "crossseed-client-password")
        host = _loopback(settings.client.host)
        clients.append(
            f"qbittorrent:http://{CROSSSEED_USER}:{password}@{host}:{settings.client.port}"
        )
    source = None
    if not settings.crossseed.torznab and settings.site.enabled:
        source = _site_feed(settings, database)
    return CrossseedRuntime(
        settings.crossseed,
        database=database,
        data_dir=data_dir,
        clock=clock,
        api_key=key,
        clients=clients,
        indexer_source=source,
        access_log=settings.log.access_log,
    )


def _site_feed(settings: Settings, database: AsyncEngine) -> Callable[[], Awaitable[list[str]]]:
    """The site's own Torznab feed under its owner's key, once the site has an owner."""
    sessions = async_sessionmaker(database, expire_on_commit=False)
    base = f"http://{_loopback(settings.site.host)}:{settings.site.port}/api/torznab/api"

    async def feed() -> list[str]:
        async with sessions() as db:
            key = await owner_torznab_key(db)
        return [f"{base}?apikey={key}"] if key else []

    return feed


def _crossseed(shared: Shared) -> Service:
    return crossseed_runtime(shared.settings, shared.database, shared.data_dir, shared.clock)


def debrid_api_token(settings: Settings, data_dir: Path) -> tuple[str, bool]:
    """The bridge's `/api` token: the configured one, or the generated one (created=True once)."""
    if settings.debrid.api_token:
        return settings.debrid.api_token, False
    return generated_secrets.load_or_create(data_dir, "debrid-api-token", nbytes=32)


def _debrid_password_hash(settings: Settings, data_dir: Path) -> str:
    section = settings.debrid
    if section.password:
        return hash_password(section.password)
    stored, created = generated_secrets.load_or_create_hashed(
        data_dir, "debrid-password", hash_password, nbytes=9
    )
    if created is not None:
        logger.warning(
            "debrid bridge: user %s, generated password %s (shown once; only its hash is kept "
            "in %s)",
            section.username,
            created,
            data_dir / "secrets",
        )
    return stored


def _debrid_providers(settings: Settings, data_dir: Path) -> list[ProviderSettings]:
    """The configured providers; a `local` one without a client URL or login gets the stack's
    own client (its service login), and fetches what it does not have unless told otherwise (a
    client always can: "cached" means nothing there). None configured and the client enabled:
    that `local`."""
    entries = list(settings.debrid.providers)
    if not entries and settings.client.enabled:
        entries = [ProviderSettings(provider="local")]
    client_url = f"http://{_loopback(settings.client.host)}:{settings.client.port}"
    login = f"{DEBRID_USER}:{_debrid_client_password(data_dir)}"
    return [
        entry.model_copy(
            update={
                "api_url": entry.api_url or client_url,
                "api_key": entry.api_key or login,
                "download_uncached": entry.download_uncached
                or "download_uncached" not in entry.model_fields_set,
            }
        )
        if entry.provider == "local"
        else entry
        for entry in entries
    ]


def _debrid(shared: Shared) -> Service:
    settings, data_dir = shared.settings, shared.data_dir
    token, created = debrid_api_token(settings, data_dir)
    if created:
        logger.warning(
            "debrid bridge: generated API token %s (shown once; `torrentstack debrid api-token` "
            "prints it)",
            token,
        )
    entries = _debrid_providers(settings, data_dir)
    providers = [build_provider(entry, data_dir) for entry in entries]
    return DebridRuntime(
        settings.debrid,
        database=shared.database,
        data_dir=data_dir,
        clock=shared.clock,
        stop=shared.stop,
        providers=providers,
        password_hash=_debrid_password_hash(settings, data_dir),
        api_token=token,
        download_uncached={entry.label: entry.download_uncached for entry in entries},
        access_log=settings.log.access_log,
    )


def _loopback(host: str) -> str:
    """Where a service listening on `host` is reached from this machine."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - reading a listen address, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


# In `config.SERVICES` order: the order listeners start and are listed in.
CATALOGUE: dict[str, Callable[[Shared], Service]] = {
    "tracker": _tracker,
    "site": _site,
    "client": _client,
    "crossseed": _crossseed,
    "debrid": _debrid,
}
