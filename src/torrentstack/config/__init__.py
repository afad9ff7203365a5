"""The one typed settings tree, and its loading: defaults -> TOML file -> TORRENTSTACK_* env.

A leaf package: it imports nothing of torrentstack but `errors`. Each service's table lives in
its own module (`tracker`, `client`, `site`, `crossseed`, `debrid`); `core` holds the shared ones, `settings` the
whole tree, `loading` the sources. Every service receives its own frozen sub-tree from the
composition root. Rendering (commented TOML, Markdown) lives in `cli/config_reference.py`.
"""

from torrentstack.config.base import ListenerSettings, Port, Section
from torrentstack.config.client import ClientSettings
from torrentstack.config.core import DatabaseSettings, LogSettings, PathsSettings, RedisSettings
from torrentstack.config.crossseed import CrossseedSettings
from torrentstack.config.debrid import DebridSettings
from torrentstack.config.loading import (
    ENV_PREFIX,
    ENV_SEPARATOR,
    default_config_path,
    load_settings,
)
from torrentstack.config.serving import ServingSettings
from torrentstack.config.settings import SERVICES, Settings
from torrentstack.config.site import SiteSettings
from torrentstack.config.tracker import TrackerModeName, TrackerSettings

__all__ = [
    "ENV_PREFIX",
    "ENV_SEPARATOR",
    "SERVICES",
    "ClientSettings",
    "CrossseedSettings",
    "DatabaseSettings",
    "DebridSettings",
    "ListenerSettings",
    "LogSettings",
    "PathsSettings",
    "Port",
    "RedisSettings",
    "Section",
    "ServingSettings",
    "Settings",
    "SiteSettings",
    "TrackerModeName",
    "TrackerSettings",
    "default_config_path",
    "load_settings",
]
