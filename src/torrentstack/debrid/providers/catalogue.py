"""Which class serves each `provider` kind of the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.providers.alldebrid import AllDebrid
from torrentstack.debrid.providers.base import Provider
from torrentstack.debrid.providers.debridlink import DebridLink
from torrentstack.debrid.providers.local import LocalProvider
from torrentstack.debrid.providers.realdebrid import RealDebrid
from torrentstack.debrid.providers.torbox import TorBox

Build = Callable[[ProviderSettings, Path], Provider]
KINDS: dict[str, Build] = {
    "realdebrid": lambda settings, _data: RealDebrid(settings),
    "alldebrid": lambda settings, _data: AllDebrid(settings),
    "debridlink": lambda settings, _data: DebridLink(settings),
    "torbox": lambda settings, _data: TorBox(settings),
    # the client saves into this folder and the bridge reads it: one path for both
    "local": lambda settings, data: LocalProvider(settings, save_root=data / "debrid" / "local"),
}


def build_provider(settings: ProviderSettings, data_dir: Path) -> Provider:
    """The provider for one settings entry (`data_dir`: where `local` keeps its downloads)."""
    return KINDS[settings.provider](settings, data_dir)
