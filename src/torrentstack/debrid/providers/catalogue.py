"""Which class serves each `provider` kind of the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.providers.base import Provider
from torrentstack.debrid.providers.debridlink import DebridLink
from torrentstack.debrid.providers.torbox import TorBox

Build = Callable[[ProviderSettings, Path], Provider]
KINDS: dict[str, Build] = {
    "debridlink": lambda settings, _data: DebridLink(settings),
    "torbox": lambda settings, _data: TorBox(settings),
}


def build_provider(settings: ProviderSettings, data_dir: Path) -> Provider:
    """The provider for one settings entry (`data_dir`: where `local` keeps its downloads)."""
    return KINDS[settings.provider](settings, data_dir)
