"""The `[tracker]` table: announce/scrape listener, access mode, admin API, swarm rules."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from torrentstack.config.base import SECRET, ListenerSettings, Port

TrackerModeName = Literal["public", "listed", "private", "private_listed"]


class TrackerSettings(ListenerSettings):
    port: Port = Field(default=6969, description="HTTP announce/scrape port (UDP uses the same).")
    udp: bool = Field(default=True, description="Also answer BEP 15 UDP announces on `port`.")
    mode: TrackerModeName = Field(
        default="public",
        description="Access mode as in Torrust: `public` tracks any torrent, `listed` only "
        "whitelisted ones, `private` needs a key (`/announce/KEY`), `private_listed` both.",
    )
    api_host: str = Field(
        default="127.0.0.1", description="Address of the Torrust-compatible admin REST API."
    )
    api_port: Port = Field(default=1212, description="Port of the admin REST API.")
    api_tokens: list[str] = Field(
        default_factory=list,
        json_schema_extra=SECRET,
        description="Access tokens for the admin API (`?token=`). Empty means one token is "
        "generated on first start, stored in the data directory and printed once.",
    )
    announce_interval: int = Field(
        default=120, ge=1, description="`interval` sent to clients (seconds)."
    )
    min_announce_interval: int = Field(
        default=120, ge=1, description="`min interval` sent to clients (seconds)."
    )
    numwant_default: int = Field(
        default=74, ge=0, description="Peers returned when the client does not say `numwant`."
    )
    numwant_max: int = Field(default=74, ge=0, description="Most peers returned to one announce.")
    max_scrape_torrents: int = Field(
        default=74, ge=1, description="Most info hashes answered in one scrape."
    )
    peer_timeout: int = Field(
        default=900, ge=1, description="Seconds without an announce after which a peer is dropped."
    )
    cleanup_interval: int = Field(
        default=120, ge=1, description="Seconds between sweeps that drop timed-out peers."
    )
    on_reverse_proxy: bool = Field(
        default=False,
        description="Behind a reverse proxy: take the client address from the right-most "
        "X-Forwarded-For entry (requests without one are refused). Off: the header is ignored.",
    )
    external_ip: str = Field(
        default="",
        description="Address to hand out for peers connecting from loopback (empty: keep it).",
    )
    compiled: bool = Field(
        default=True,
        description="Keep swarms in the compiled module and answer plain UDP announces and "
        "scrapes in C, when the install built it. Off: the pure-Python swarm (same behaviour, "
        "slower).",
    )
