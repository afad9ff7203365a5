"""The `[client]` table: the qBittorrent WebUI API listener, its auth and the engine's start values."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from torrentstack.config.base import SECRET, ListenerSettings, Port


class ClientSettings(ListenerSettings):
    port: Port = Field(default=8080, description="Port of the qBittorrent-compatible WebUI API.")
    webui_username: str = Field(default="admin", description="WebUI API user name.")
    webui_password: str = Field(
        default="",
        json_schema_extra=SECRET,
        description="WebUI API password (empty: one is generated on first start, printed once "
        "in the log, and only its PBKDF2 hash is kept in the data directory).",
    )
    persona: Literal["4.6", "5.1"] = Field(
        default="4.6",
        description="qBittorrent to answer as: `4.6` (v4.6.7, WebAPI 2.9.3, pause/resume) or "
        "`5.1` (v5.1.4, WebAPI 2.11.4, stop/start).",
    )
    session_timeout: int = Field(
        default=3600, ge=1, description="Seconds a WebUI session lives without a request."
    )
    max_auth_fail_count: int = Field(
        default=5, ge=0, description="Failed logins from one IP before it is banned (0: never)."
    )
    ban_duration: int = Field(default=3600, ge=1, description="Seconds an IP stays banned.")
    localhost_auth: bool = Field(
        default=True, description="Require a login from loopback too (off: loopback needs none)."
    )
    auth_subnet_whitelist: list[str] = Field(
        default_factory=list, description="Networks (CIDR) whose clients need no login."
    )
    csrf_protection: bool = Field(
        default=True, description="Refuse (401) requests whose Origin/Referer is another host."
    )
    host_header_validation: bool = Field(
        default=True,
        description="Refuse (401) requests whose Host names another port or an unknown domain.",
    )
    server_domains: str = Field(
        default="*", description="Domains the Host header may name, `;`-separated, `*` = any."
    )
    listen_port: Port = Field(
        default=6881,
        description="BitTorrent listen port, TCP and uTP (0 picks a free one); the "
        "`listen_port` preference changes it at run time.",
    )
    save_path: str = Field(
        default="",
        description="Default save path for downloads (empty: `downloads` in the data "
        "directory); the `save_path` preference changes it at run time.",
    )
    search_torznab: list[str] = Field(
        default_factory=list,
        description="Torznab indexer URLs (with their apikey) the built-in `torznab` search "
        "plugin searches. Empty with the site enabled: the site's own Torznab feed (under its "
        "owner's key, once it has one); otherwise no built-in plugin.",
        json_schema_extra=SECRET,
    )
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description="Initial qBittorrent preferences (keys of `app/preferences`, e.g. "
        '`{"dht": false}`); values set through `app/setPreferences` take precedence.',
    )
