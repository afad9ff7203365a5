"""The client's side of the WebUI API (`webapi.backend.Backend`), over the libtorrent engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from torrentstack.client import engine


class ClientBackend:
    """Answers the API from this process's engine; `stop` ends the service (app/shutdown)."""

    def __init__(self, save_path: Path, stop: asyncio.Event) -> None:
        self.save_path = save_path
        self._stop = stop

    def build_info(self) -> dict[str, str | int]:
        return engine.library_versions()

    def default_save_path(self) -> str:
        return str(self.save_path)

    def shutdown(self) -> None:
        self._stop.set()
