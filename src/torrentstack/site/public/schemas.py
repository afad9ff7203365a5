"""Response models of the public routes: branding, runtime config, homepage content, public
counters, tracker health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from torrentstack.site.schemas import ApiModel
from torrentstack.site.settings_store import CustomBlock


class BrandingFeatures(ApiModel):
    registration: bool = Field(description="Someone new may register (open or by invite).")
    invites: bool = Field(description="Members may create invite codes.")
    torznab: bool = Field(description="The Torznab API answers.")
    udp: bool = Field(description="Torrents carry a UDP announce URL.")


class Branding(ApiModel):
    title: str
    tagline: str
    logo_url: str
    favicon_url: str
    features: BrandingFeatures


class RegistrationInfo(ApiModel):
    mode: Literal["open", "invite", "closed"]
    note: str


class RuntimeConfig(ApiModel):
    announce_http: str = Field(description="HTTP announce URL, without any passkey.")
    announce_udp: str | None = Field(description="UDP announce URL (BEP 15), if there is one.")
    announce_urls: list[str] = Field(description="Every announce URL, HTTP first.")
    registration: RegistrationInfo
    torznab_enabled: bool


class TorrentCard(ApiModel):
    id: int
    info_hash: str
    title: str
    size: int
    seeders: int
    leechers: int
    snatches: int
    created_at: datetime


class Rail(ApiModel):
    title: str
    torrents: list[TorrentCard] = Field(description="Accepted torrents, in the operator's order.")


class Homepage(ApiModel):
    featured: list[Rail]
    blocks: list[CustomBlock]


class UdpToggles(ApiModel):
    enabled: bool = Field(description="A UDP announce URL is configured and put in torrents.")
    announce_url: str | None


class PublicStats(ApiModel):
    users: int
    torrents: int = Field(description="Accepted torrents (not deleted).")
    seeders: int
    leechers: int
    peers: int
    snatches: int
    udp: UdpToggles


class ProtocolHealth(ApiModel):
    url: str | None = Field(description="The announce URL members get (null: none).")
    configured: bool = Field(description="Set in the site's settings, not the default.")
    up: bool | None = Field(description="The tracker answered a probe just now (null: none).")


class TrackerHealth(ApiModel):
    status: Literal["up", "degraded", "down"]
    http: ProtocolHealth
    udp: ProtocolHealth
    checked_at: datetime
