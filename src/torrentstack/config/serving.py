"""The `[serving]` table: limits every HTTP listener enforces (connections, sizes, timeouts)."""

from __future__ import annotations

from pydantic import Field

from torrentstack.config.base import Section


class ServingSettings(Section):
    max_connections: int = Field(
        default=1024,
        ge=1,
        description="Most open connections of one HTTP listener; one more is answered 503 and "
        "closed at once. Each listener also gets at most an even share of the process's "
        "file-descriptor limit less `fd_reserve`, so one listener cannot starve another.",
    )
    fd_reserve: int = Field(
        default=256,
        ge=16,
        description="File descriptors kept back from the listeners for the database, resume "
        "files, UDP sockets and outgoing connections.",
    )
    max_header_bytes: int = Field(
        default=16384,
        ge=1024,
        description="Largest request line plus headers (bytes); a larger one is answered 431 "
        "(414 when the request line alone is too long) and the connection closed.",
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a whole request head once it has begun one "
        "(or has connected); then the connection is closed (408).",
    )
    body_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a client has to send a request body once its head has arrived, and "
        "to read a response it stopped reading; then the connection is closed.",
    )
    keep_alive_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds an idle kept-alive connection stays open between requests.",
    )
