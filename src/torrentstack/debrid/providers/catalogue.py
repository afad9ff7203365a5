"""Which class serves each `provider` kind of the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.providers.base import Provider

Build = Callable[[ProviderSettings, Path], Provider]
KINDS: dict[str, Build] = {}


def build_provider(settings: ProviderSettings, data_dir: Path) -> Provider:
    """The provider for one settings entry (`data_dir`: where `local` keeps its downloads)."""
    return KINDS[settings.provider](settings, data_dir)
