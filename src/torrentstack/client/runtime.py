"""The client service: engine, store, backend, the WebUI API and its listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route

from torrentstack import generated_secrets
from torrentstack.client.backend import ClientBackend
from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.search.jobs import SearchEngine
from torrentstack.client.store import ClientStore
from torrentstack.client.webui_files import WebUiFiles
from torrentstack.client.webui_listener import WebUiListener
from torrentstack.clock import Clock
from torrentstack.config import ClientSettings
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent_api.application import add_application_endpoints
from torrentstack.qbittorrent_api.application_five import add_application_five_endpoints
from torrentstack.qbittorrent_api.auth import Authenticator, hash_password
from torrentstack.qbittorrent_api.classification import add_category_endpoints, add_tag_endpoints
from torrentstack.qbittorrent_api.dispatch import Origins, WebApi
from torrentstack.qbittorrent_api.log import add_log_endpoints
from torrentstack.qbittorrent_api.rss import add_rss_endpoints
from torrentstack.qbittorrent_api.rss_rules import add_rss_rule_endpoints
from torrentstack.qbittorrent_api.search import add_search_endpoints
from torrentstack.qbittorrent_api.ssl_parameters import add_ssl_parameter_endpoints
from torrentstack.qbittorrent_api.sync import add_sync_endpoints
from torrentstack.qbittorrent_api.torrent_actions import add_action_endpoints
from torrentstack.qbittorrent_api.torrent_adding import add_adding_endpoints
from torrentstack.qbittorrent_api.torrent_creator import add_torrent_creator_endpoints
from torrentstack.qbittorrent_api.torrent_edits import add_edit_endpoints
from torrentstack.qbittorrent_api.torrent_queries import add_query_endpoints
from torrentstack.qbittorrent_api.transfer import add_transfer_endpoints
from torrentstack.qbittorrent_api.web_seed_edits import add_web_seed_endpoints
from torrentstack.serving.server import Listener

logger = logging.getLogger(__name__)


def password_hash(settings: ClientSettings, data_dir: Path) -> str:
    """The configured password's hash, or the kept hash of a generated one (shown once)."""
    if settings.webui_password:
        return hash_password(settings.webui_password)
    stored, created = generated_secrets.load_or_create_hashed(
        data_dir, "client-webui-password", hash_password, nbytes=9
    )
    if created is not None:
        logger.warning(
            "client WebUI: user %s, generated password %s (shown once; only its hash is kept "
            "in %s)",
            settings.webui_username,
            created,
            data_dir / "secrets",
        )
    return stored


class ClientRuntime:
    """The client service: the engine behind its backend, the WebUI API and its listener."""

    name = "client"

    def __init__(
        self,
        settings: ClientSettings,
        *,
        database: AsyncEngine,
        data_dir: Path,
        clock: Clock,
        stop: asyncio.Event,
        access_log: bool = False,
        service_accounts: Mapping[str, str] | None = None,
        torznab_source: Callable[[], Awaitable[list[str]]] | None = None,
    ) -> None:
        """`torznab_source`: Torznab URLs for the built-in search plugin when
        `search_torznab` names none (the composition root passes the stack's own site)."""
        self.settings = settings
        self.access_log = access_log
        self.auth = Authenticator(
            settings.webui_username,
            password_hash(settings, data_dir),
            clock=clock,
            timeout=settings.session_timeout,
            max_fail_count=settings.max_auth_fail_count,
            ban_duration=settings.ban_duration,
            localhost_auth=settings.localhost_auth,
            whitelist=settings.auth_subnet_whitelist,
        )
        for user, password in (service_accounts or {}).items():
            self.auth.service_accounts[user] = hash_password(password)
        self.api = WebApi(
            PERSONAS[settings.persona],
            self.auth,
            Origins(
                csrf=settings.csrf_protection,
                host_validation=settings.host_header_validation,
                server_domains=settings.server_domains,
            ),
        )
        save_path = Path(settings.save_path) if settings.save_path else data_dir / "downloads"
        self.backend = ClientBackend(
            persona=PERSONAS[settings.persona],
            store=ClientStore(database),
            data_dir=data_dir,
            save_path=save_path,
            listen_port=settings.listen_port,
            listen_host=settings.host,
            clock=clock,
            stop=stop,
            log=LogBuffer(clock),
            initial_preferences={**_webui_preferences(settings), **settings.preferences},
        )
        backend = self.backend
        torrents = backend.torrents
        add_application_endpoints(self.api, backend.application)
        add_log_endpoints(self.api, backend.log, backend.peer_log)
        add_sync_endpoints(self.api, backend, torrents)
        add_transfer_endpoints(self.api, backend.transfer)
        add_query_endpoints(self.api, torrents, backend.application)
        add_adding_endpoints(self.api, backend.adder)
        add_action_endpoints(self.api, torrents, backend.actions)
        add_edit_endpoints(self.api, torrents, backend.edits)
        add_category_endpoints(self.api, torrents, backend.categories)
        add_tag_endpoints(self.api, torrents, backend.tags)
        add_rss_endpoints(self.api, backend.rss)
        add_rss_rule_endpoints(self.api, backend.rss_rules)
        add_torrent_creator_endpoints(self.api, backend.creator)
        add_web_seed_endpoints(self.api, backend.web_seeds)
        add_application_five_endpoints(self.api, backend.cookies, backend.mailer)
        add_ssl_parameter_endpoints(self.api, backend.ssl)
        self.search = SearchEngine(
            data_dir / "client" / "search",
            torznab_indexers=settings.search_torznab,
            torznab_source=torznab_source,
            report=backend.log.add,
        )
        add_search_endpoints(self.api, self.search, backend.adder)

    async def start(self, health: Starlette) -> list[Listener]:
        """Load the stored state, start the engine (torrents come back as they were) and
        return the WebUI listener, which serves `health`'s routes (/healthz) beside the API."""
        await self.backend.start()
        await self.search.start()
        self.backend.application.on_preferences = self._preferences_changed
        self._apply_webui_preferences()
        webui = WebUiListener(self.backend.prefs, self.backend.log)
        place = await webui.first_place()
        webui.listener = Listener(
            name=self.name,
            host=place.host,
            port=place.port,
            tls=place.tls,
            app=self.api.app([*health.routes, self._files_route()]),
            access_log=self.access_log,
        )
        self.backend.application.after_preferences = webui.follow
        return [webui.listener]

    def _files_route(self) -> Route:
        """Every other path: the WebUI's files (the alternative WebUI's folder)."""
        files = WebUiFiles(self.backend.prefs, self.api)
        return Route("/{path:path}", files.serve, methods=["GET", "HEAD", "POST"])

    def _preferences_changed(self) -> None:
        self._apply_webui_preferences()
        self.backend.rss.preferences_changed()

    def _apply_webui_preferences(self) -> None:
        """The WebUI's own preferences act on the running authenticator and checks."""
        prefs = self.backend.prefs
        auth = self.auth
        auth.username = str(prefs.get("web_ui_username")) or auth.username
        if self.backend.application.password_hash:
            auth.password_hash = self.backend.application.password_hash
        auth.max_fail_count = int(prefs.get("web_ui_max_auth_fail_count"))
        auth.ban_duration = int(prefs.get("web_ui_ban_duration"))
        auth.timeout = max(int(prefs.get("web_ui_session_timeout")), 1)
        auth.localhost_auth = not bool(prefs.get("bypass_local_auth"))
        whitelist = str(prefs.get("bypass_auth_subnet_whitelist"))
        enabled = bool(prefs.get("bypass_auth_subnet_whitelist_enabled"))
        auth.set_whitelist(_networks(whitelist) if enabled else [])
        self.api.origins = Origins(
            csrf=bool(prefs.get("web_ui_csrf_protection_enabled")),
            host_validation=bool(prefs.get("web_ui_host_header_validation_enabled")),
            server_domains=str(prefs.get("web_ui_domain_list")) or "*",
        )
        self.backend.rss_rules.preferences_changed()  # switching auto-downloading on

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for the stop, then save resume data and stop the engine."""
        try:
            await stop.wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop the searches, save resume data and stop the engine (again: nothing)."""
        await self.search.close()
        await self.backend.close()


def _webui_preferences(settings: ClientSettings) -> dict[str, object]:
    """The preferences that mirror the `[client]` settings (their starting values)."""
    whitelist = list(settings.auth_subnet_whitelist)
    return {
        "web_ui_username": settings.webui_username,
        "web_ui_port": settings.port,
        "web_ui_address": settings.host,
        "web_ui_max_auth_fail_count": settings.max_auth_fail_count,
        "web_ui_ban_duration": settings.ban_duration,
        "web_ui_session_timeout": settings.session_timeout,
        "bypass_local_auth": not settings.localhost_auth,
        "bypass_auth_subnet_whitelist_enabled": bool(whitelist),
        "bypass_auth_subnet_whitelist": "\n".join(whitelist),
        "web_ui_csrf_protection_enabled": settings.csrf_protection,
        "web_ui_host_header_validation_enabled": settings.host_header_validation,
        "web_ui_domain_list": settings.server_domains,
        "listen_port": settings.listen_port,
    }


def _networks(text: str) -> list[str]:
    """qBittorrent's whitelist text: networks separated by newlines or commas."""
    return [item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()]
