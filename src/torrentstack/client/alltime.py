"""`alltime_dl`/`alltime_ul` of `server_state`: the totals of earlier runs, kept in
`<data_dir>/client/alltime.json` (saved every few minutes and at stop, atomically), plus this
run's session totals, as qBittorrent's Statistics keeps them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path

from torrentstack.client.kept_files import write_atomically

logger = logging.getLogger(__name__)

SAVE_INTERVAL = 300.0  # seconds between saves while running


class AllTimeTotals:
    """`current()` is (downloaded, uploaded) over all runs; `save()` writes it."""

    def __init__(self, data_dir: Path, session: Callable[[], tuple[int, int]]) -> None:
        self._file = data_dir / "client" / "alltime.json"
        self._session = session
        self._base = (0, 0)

    def load(self) -> None:
        """Blocking (a small file): the totals the last run saved; none is zero."""
        try:
            stored = json.loads(self._file.read_text(encoding="utf-8"))
            self._base = (int(stored["alltime_dl"]), int(stored["alltime_ul"]))
        except FileNotFoundError:
            self._base = (0, 0)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("client: all-time totals in %s not read: %s", self._file, exc)
            self._base = (0, 0)

    def current(self) -> tuple[int, int]:
        downloaded, uploaded = self._session()
        return self._base[0] + downloaded, self._base[1] + uploaded

    async def save(self) -> None:
        downloaded, uploaded = self.current()
        text = json.dumps({"alltime_dl": downloaded, "alltime_ul": uploaded})
        await asyncio.to_thread(self._write, text)

    def _write(self, text: str) -> None:
        write_atomically(self._file, text)
