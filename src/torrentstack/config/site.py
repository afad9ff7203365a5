"""The site's table: listener, registration, the login protocol's costs, uploads, anti-cheat."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from torrentstack.config.base import ListenerSettings, Port

Registration = Literal["open", "invite", "closed"]


class SiteSettings(ListenerSettings):
    port: Port = Field(
        default=3000, description="Port of the site (JSON API, Torznab, RSS, pages)."
    )
    registration: Registration | None = Field(
        default=None,
        description=(
            "Who may register: `open`, `invite` (with an invite code) or `closed`. Unset: "
            "open until the first user exists (who becomes admin), then invite."
        ),
    )
    pow_difficulty: int = Field(
        default=5,
        ge=0,
        le=8,
        description="Leading zero hex digits the registration proof of work must find.",
    )
    kdf_iterations: int = Field(
        default=600_000,
        ge=1,
        description="PBKDF2-SHA256 iterations clients use to derive their login key.",
    )
    session_days: int = Field(
        default=30, ge=1, description="Days a login session lasts before it must be renewed."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure (set it when the site is served over HTTPS).",
    )
    public_url: str = Field(
        default="",
        description=(
            "The site's address as members reach it (links in Torznab and RSS). Empty: the "
            "address of each request."
        ),
    )
    announce_http: str = Field(
        default="",
        description=(
            "HTTP announce URL put in downloaded .torrent files (the passkey is appended). "
            "Empty: http://<the site's host>:<tracker port>/announce."
        ),
    )
    announce_udp: str = Field(
        default="",
        description=(
            "UDP announce URL put in downloaded .torrent files (the passkey as BEP 41 URL "
            "data). Empty: udp://<the site's host>:<tracker port>/announce."
        ),
    )
    max_torrent_bytes: int = Field(
        default=10_000_000, ge=1024, description="Largest .torrent file an upload may send."
    )
    rate_limits: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Requests per address per window, by bucket, over the defaults: `read` 100/min, "
            '`mutation` 10/min, `auth` 5 per 5 min (e.g. {"auth": 20}); 0 turns a bucket off.'
        ),
    )
    max_credited_rate: int = Field(
        default=125_000_000,
        ge=1,
        description=(
            "Bytes per second an announce may credit at most (transfer beyond it is "
            "dropped): a basic anti-cheat."
        ),
    )
