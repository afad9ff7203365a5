"""The tables of services still to be written (debrid): their listeners."""

from __future__ import annotations

from pydantic import Field

from torrentstack.config.base import ListenerSettings, Port


class DebridSettings(ListenerSettings):
    port: Port = Field(
        default=8282, description="Port of the debrid bridge (qBittorrent API + /api)."
    )
