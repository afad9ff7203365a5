"""The tables of services still to be written (cross-seed, debrid): their listeners."""

from __future__ import annotations

from pydantic import Field

from torrentstack.config.base import ListenerSettings, Port


class CrossseedSettings(ListenerSettings):
    port: Port = Field(default=2468, description="Port of the cross-seed HTTP API.")


class DebridSettings(ListenerSettings):
    port: Port = Field(
        default=8282, description="Port of the debrid bridge (qBittorrent API + /api)."
    )
