"""The whole settings tree: one table per section of config.toml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from torrentstack.config.base import Section
from torrentstack.config.client import ClientSettings
from torrentstack.config.core import DatabaseSettings, LogSettings, PathsSettings, RedisSettings
from torrentstack.config.crossseed import CrossseedSettings
from torrentstack.config.debrid import DebridSettings
from torrentstack.config.serving import ServingSettings
from torrentstack.config.site import SiteSettings
from torrentstack.config.tracker import TrackerSettings


class Settings(Section):
    """Every setting of torrentstack, one table per section of config.toml."""

    paths: PathsSettings = PathsSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    log: LogSettings = LogSettings()
    serving: ServingSettings = ServingSettings()
    tracker: TrackerSettings = TrackerSettings()
    site: SiteSettings = SiteSettings()
    client: ClientSettings = ClientSettings()
    crossseed: CrossseedSettings = CrossseedSettings()
    debrid: DebridSettings = DebridSettings()

    def data_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        """Return the data directory: `paths.data_dir` or the XDG default."""
        if self.paths.data_dir is not None:
            return self.paths.data_dir.expanduser()
        env = os.environ if environ is None else environ
        base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "torrentstack"


SERVICES: tuple[str, ...] = ("tracker", "site", "client", "crossseed", "debrid")
