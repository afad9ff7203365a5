"""The `[debrid]` table: the debrid bridge (Decypharr's place): its logins, providers, arrs,
where finished items appear and how.

Names are fixed by INTERFACES.md; provider and arr entries are tables as Decypharr's config
writes them (`provider`, `name`, `api_key`, `download_uncached`; `name`, `host`, `token`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from torrentstack.config.base import SECRET, ListenerSettings, Port, Section

ProviderKind = Literal["realdebrid", "alldebrid", "debridlink", "torbox", "local"]
DownloadAction = Literal["symlink", "download", "strm", "none"]


class ProviderSettings(Section):
    provider: ProviderKind = Field(description="Which debrid service this entry is.")
    name: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]*$",
        max_length=64,
        description="Its name in the API and the WebDAV tree (default: `provider`).",
    )
    api_key: str = Field(
        default="",
        json_schema_extra=SECRET,
        description="The service's API key (Bearer). `local`: the stack client's "
        "`user:password` (empty: the stack's own service login).",
    )
    api_url: str = Field(
        default="",
        description="Base URL replacing the service's public one (e.g. "
        "`https://api.real-debrid.com/rest/1.0`); `local`: the client's WebUI URL.",
    )
    download_uncached: bool = Field(
        default=False,
        description="Let the service fetch torrents it does not have yet (otherwise such an "
        "add fails, as Decypharr's `not cached`).",
    )
    rate_limit: float = Field(
        default=250 / 60,
        gt=0,
        description="Requests per second to this service (Decypharr's default: 250/minute).",
    )

    @property
    def label(self) -> str:
        return self.name or self.provider


class ArrSettings(Section):
    name: str = Field(
        pattern=r"^[A-Za-z0-9._-]+$",
        max_length=64,
        description="The category its torrents are added with (`sonarr`).",
    )
    host: str = Field(description="Its base URL (`http://sonarr:8989`).")
    token: str = Field(default="", json_schema_extra=SECRET, description="Its API key.")


class DebridSettings(ListenerSettings):
    port: Port = Field(
        default=8282, description="Port of the debrid bridge (qBittorrent API + /api)."
    )
    api_token: str = Field(
        default="",
        json_schema_extra=SECRET,
        description="`Authorization: Bearer` token of `/api/*` and WebDAV. Empty: generated on "
        "first start and kept in the data directory; `torrentstack debrid api-token` prints it.",
    )
    username: str = Field(
        default="admin",
        min_length=1,
        description="Web login, and the qBittorrent login of clients that are not an arr.",
    )
    password: str = Field(
        default="",
        json_schema_extra=SECRET,
        description="Its password. Empty: generated on first start (printed once in the log).",
    )
    providers: list[ProviderSettings] = Field(
        default_factory=list,
        description="Debrid services, tried in this order: tables of `provider` (`realdebrid`, "
        "`alldebrid`, `debridlink`, `torbox`, `local`), `name` (default: provider), `api_key`, "
        "`api_url` (replaces the service's public base URL), `download_uncached` (false), "
        "`rate_limit` (requests per second, 250/minute).",
    )
    arrs: list[ArrSettings] = Field(
        default_factory=list,
        description="Sonarr/Radarr instances: tables of `name` (the category their torrents "
        "are added with), `host` (base URL) and `token` (API key); arrs that log in with their "
        "URL and API key are added on their own.",
    )
    download_folder: str = Field(
        default="",
        description="Where finished items appear, as `<download_folder>/<category>/<name>`. "
        "Empty: `debrid/downloads` in the data directory.",
    )
    download_action: DownloadAction | None = Field(
        default=None,
        description="`symlink` (into mount_path), `download` (the files, over HTTP), `strm` "
        "(files holding a stream URL) or `none`. Empty: `symlink` when mount_path is set, "
        "else `download`.",
    )
    mount_path: str = Field(
        default="",
        description="Where the bridge's WebDAV tree is mounted (e.g. by rclone); symlinks point "
        "into it.",
    )
    refresh_interval: float = Field(
        default=30, gt=0, description="Seconds between polls of a provider for items in progress."
    )
    mount_timeout: float = Field(
        default=1800,
        gt=0,
        description="How long `symlink` waits for an item's files to appear under mount_path.",
    )
    public_url: str = Field(
        default="",
        description="The bridge's URL as media servers reach it, written into `.strm` files "
        "(empty: http://<host>:<port>).",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> DebridSettings:
        seen: set[str] = set()
        for entry in self.providers:
            if entry.label in seen:
                raise ValueError(f"two providers are named {entry.label!r}")
            seen.add(entry.label)
        return self

    @property
    def action(self) -> DownloadAction:
        if self.download_action is not None:
            return self.download_action
        return "symlink" if self.mount_path else "download"
