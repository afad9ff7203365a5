"""The arrs the bridge knows: configured ones, and those that logged in with their URL as user
name and their API key as password (Decypharr's convention), remembered under the category
of the torrents they add. A login's session holds an opaque id, never the arr's key."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from torrentstack.config.debrid import ArrSettings
from torrentstack.debrid.store import DebridStore

logger = logging.getLogger(__name__)

Check = Callable[[str, str], Awaitable[bool]]  # (host, token) -> does the arr accept it
MAX_LOGINS = 1024


@dataclass(frozen=True, slots=True)
class Arr:
    name: str
    host: str
    token: str
    source: str  # "config" or "login"

    def public(self) -> dict[str, object]:
        """As `/api/arrs` shows it: Decypharr's fields, without the API key."""
        kind = next((k for k in ("sonarr", "radarr", "lidarr", "readarr")
                     if k in f"{self.name} {self.host}".lower()), "")  # fmt: skip
        return {
            "name": self.name, "host": self.host, "type": kind, "cleanup": False,
            "skip_repair": False, "download_uncached": None, "selected_debrid": "",
            "source": "auto" if self.source == "login" else "manual",
        }  # fmt: skip


def looks_like_arr(username: str) -> bool:
    parts = urlsplit(username)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class ArrBook:
    def __init__(self, store: DebridStore, check: Check, configured: Sequence[ArrSettings]) -> None:
        self.store = store
        self.check = check
        self.configured = list(configured)
        self.arrs: dict[str, Arr] = {}
        self._logins: dict[str, tuple[str, str]] = {}  # session identity -> (host, token)

    async def load(self) -> None:
        for name, host, token, source in await self.store.arrs():
            self.arrs[name] = Arr(name, host, token, source)
        for entry in self.configured:
            self.arrs[entry.name] = Arr(entry.name, entry.host.rstrip("/"), entry.token, "config")

    def get(self, name: str) -> Arr | None:
        return self.arrs.get(name)

    def all(self) -> list[Arr]:
        return sorted(self.arrs.values(), key=lambda a: a.name)

    async def login(self, username: str, password: str) -> str | None:
        """An identity for an arr that accepts `password` as its key, else None."""
        if not looks_like_arr(username) or not password:
            return None
        host = username.rstrip("/")
        if not await self.check(host, password):
            return None
        identity = secrets.token_urlsafe(16)
        if len(self._logins) >= MAX_LOGINS:
            self._logins.pop(next(iter(self._logins)))
        self._logins[identity] = (host, password)
        return identity

    async def learn(self, identity: str, category: str) -> None:
        """The arr behind a session adds torrents with `category`: that is its name."""
        login = self._logins.get(identity)
        if login is None or not category:
            return
        host, token = login
        known = self.arrs.get(category)
        if known is not None and (known.source == "config" or (known.host, known.token) == login):
            return
        self.arrs[category] = Arr(category, host, token, "login")
        await self.store.put_arr(category, host, token, "login")
        logger.info("debrid: learnt arr %r at %s", category, host)
