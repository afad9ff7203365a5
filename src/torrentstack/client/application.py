"""The application part (the API's `Application`): versions, the default save path, shutdown,
the preferences and setting them (the WebUI password kept as a hash, libtorrent's at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from torrentstack.client import engine as eng
from torrentstack.client.preferences import Preferences
from torrentstack.client.store import ClientStore
from torrentstack.client.torrents import Torrents, engine_result
from torrentstack.qbittorrent_api.auth import hash_password

PASSWORD_HASH_KEY = "web_ui_password_hash"  # noqa: S105 - a key name; stored, never shown


class Application:
    """`stop` ends the service (app/shutdown); `on_preferences` is told of every change."""

    def __init__(
        self,
        *,
        prefs: Preferences,
        store: ClientStore,
        torrents: Torrents,
        listen_host: str,
        stop: asyncio.Event,
    ) -> None:
        self.prefs = prefs
        self._store = store
        self._torrents = torrents
        self._listen_host = listen_host
        self._stop = stop
        self.password_hash: str | None = None  # set through app/setPreferences
        self.on_preferences: Callable[[], None] = lambda: None
        # awaited after `on_preferences`, before the call answers (the WebUI listener's move)
        self.after_preferences: Callable[[], Awaitable[None]] = _nothing

    def load(self, stored: dict[str, Any]) -> None:
        """The stored preferences (and password hash) over the defaults and settings."""
        self.prefs.load(stored)
        stored_hash = stored.get(PASSWORD_HASH_KEY)
        self.password_hash = stored_hash if isinstance(stored_hash, str) else None

    def session_config(self) -> eng.SessionConfig:
        return self.prefs.session_config(self._listen_host, self._torrents.persona)

    async def configure_engine(self) -> None:
        """Apply the preferences (and the alternative-limits switch) to the running session."""
        await engine_result(self._torrents.engine().configure(self.session_config()))

    def build_info(self) -> dict[str, str | int]:
        return eng.library_versions()

    def default_save_path(self) -> str:
        return self.prefs.save_path

    def shutdown(self) -> None:
        self._stop.set()

    def preferences(self) -> dict[str, Any]:
        return self.prefs.all()

    async def set_preferences(self, values: dict[str, Any]) -> None:
        values = dict(values)
        password = values.pop("web_ui_password", None)
        changed = self.prefs.changes(values)  # checked whole: nothing applied if one is bad
        stored = dict(changed)
        new_hash = None
        if isinstance(password, str) and password:
            new_hash = await asyncio.to_thread(hash_password, password)
            stored[PASSWORD_HASH_KEY] = new_hash
        if stored:
            await self._store.put_preferences(stored)  # stored, then in force
        self.prefs.update(changed)
        if new_hash is not None:
            self.password_hash = new_hash
        if password or changed:
            self.on_preferences()
            await self.after_preferences()
        if not changed:
            return
        await self.configure_engine()
        self._torrents.refresh_all()


async def _nothing() -> None:
    return None
