"""`app/cookies` and `app/setCookies` (qBittorrent 5.x): the download manager's cookie jar, kept
in `<data_dir>/client/cookies.json` (written atomically) and sent with torrent URL downloads."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from torrentstack.client.kept_files import write_atomically
from torrentstack.clock import Clock
from torrentstack.qbittorrent.adding import Source
from torrentstack.qbittorrent.errors import BadParams

logger = logging.getLogger(__name__)

_TEXT_KEYS = ("name", "domain", "path", "value")


def cookie_objects(cookies: object) -> list[dict[str, Any]]:
    """setCookies' JSON as qBittorrent reads it: an array of objects; keys absent are empty."""
    if not isinstance(cookies, list):
        raise BadParams("cookies must be array")
    kept: list[dict[str, Any]] = []
    for item in cookies:
        if not isinstance(item, dict):
            raise BadParams()
        cookie: dict[str, Any] = {
            key: item[key] if isinstance(item.get(key), str) else "" for key in _TEXT_KEYS
        }
        expiry = item.get("expirationDate")
        cookie["expirationDate"] = int(expiry) if isinstance(expiry, int | float) else 0
        kept.append(cookie)
    return kept


def _domain_matches(host: str, domain: str) -> bool:
    domain = domain.lower().lstrip(".")
    return not domain or host == domain or host.endswith("." + domain)


class CookieJar:
    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self._file = data_dir / "client" / "cookies.json"
        self._clock = clock
        self._cookies: list[dict[str, Any]] = []

    def load(self) -> None:
        try:
            stored = json.loads(self._file.read_text(encoding="utf-8"))
            self._cookies = cookie_objects(stored)
        except FileNotFoundError:
            self._cookies = []
        except (OSError, ValueError, BadParams) as exc:
            logger.warning("client: cookies in %s not read: %s", self._file, exc)
            self._cookies = []

    def cookies(self) -> list[dict[str, Any]]:
        return [dict(cookie) for cookie in self._cookies]

    async def set_cookies(self, cookies: list[dict[str, Any]]) -> None:
        self._cookies = cookie_objects(cookies)
        await asyncio.to_thread(self._save, json.dumps(self._cookies))

    def _save(self, text: str) -> None:
        write_atomically(self._file, text)

    def header_for(self, url: str) -> str:
        """The `Cookie` header for a request to `url` (unexpired cookies of its domain and path)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        now = self._clock()
        pairs = [
            f"{c['name']}={c['value']}"
            for c in self._cookies
            if c["name"]
            and _domain_matches(host, c["domain"])
            and path.startswith(c["path"] or "/")
            and not (0 < c["expirationDate"] < now)
        ]
        return "; ".join(pairs)

    def wrap(self, fetch: Any) -> Any:
        """A URL fetch that sends the jar's cookies when the caller gives none."""

        async def fetch_with_cookies(url: str, cookie: str) -> Source | None:
            result: Source | None = await fetch(url, cookie or self.header_for(url))
            return result

        return fetch_with_cookies
