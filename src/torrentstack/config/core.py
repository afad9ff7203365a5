"""Settings shared by every service: paths, database, Redis, logging."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from torrentstack.config.base import Section


class PathsSettings(Section):
    data_dir: Path | None = Field(
        default=None,
        description="Directory for the SQLite database, resume data and generated secrets. "
        "Empty means $XDG_DATA_HOME/torrentstack (default ~/.local/share/torrentstack).",
    )


class DatabaseSettings(Section):
    url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means a SQLite file `torrentstack.db` in the data "
        "directory; `postgresql+asyncpg://user@host/db` (or `postgresql://...`) for PostgreSQL.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="How long a SQLite connection waits for a lock before failing (milliseconds).",
    )
    pool_size: int = Field(
        default=5, ge=1, description="Connections kept open to PostgreSQL (ignored for SQLite)."
    )
    echo: bool = Field(default=False, description="Log every SQL statement (for debugging).")


class RedisSettings(Section):
    url: str = Field(
        default="",
        description="redis:// URL shared by processes of one deployment. Empty means the swarm, "
        "caches and rate limits stay in memory (one process).",
    )


class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to standard error."
    )
    access_log: bool = Field(
        default=False,
        description="Log every HTTP request (query strings are redacted of secrets); the "
        "tracker's announce/scrape port never logs requests.",
    )
