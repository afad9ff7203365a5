"""Feed downloads over httpx: conditional GET (ETag, Last-Modified), a size cap, http(s) only;
httpx's errors become `FeedFetchError` here, without their messages (a URL may hold a password)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from torrentstack.errors import TorrentstackError

MAX_FEED_BYTES = 10 * 1024 * 1024
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class FeedFetchError(TorrentstackError):
    """The feed could not be downloaded."""


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes | None  # None: not modified since the validators we sent
    etag: str = ""
    last_modified: str = ""


class FeedFetcher:
    """One httpx client for every feed; `fetch` never raises anything but FeedFetchError."""

    def __init__(
        self, limit: int = MAX_FEED_BYTES, cookies: Callable[[str], str] = lambda url: ""
    ) -> None:
        self._cookies = cookies  # the `Cookie` header for a URL (app/setCookies)
        self.limit = limit
        self._client = httpx.AsyncClient(
            timeout=_TIMEOUT,
            follow_redirects=True,
            max_redirects=10,
            headers={"User-Agent": "qBittorrent (torrentstack)"},
        )

    async def fetch(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            raise FeedFetchError("the feed's URL is not usable") from None
        if scheme not in ("http", "https"):
            raise FeedFetchError("only http and https feeds are fetched")
        headers = {}
        if cookie := self._cookies(url):
            headers["Cookie"] = cookie
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(None, etag, last_modified)
                if response.status_code != 200:
                    raise FeedFetchError(f"HTTP status {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.limit:
                        raise FeedFetchError(f"the feed is larger than {self.limit} bytes")
                return Fetched(
                    bytes(body),
                    response.headers.get("etag", ""),
                    response.headers.get("last-modified", ""),
                )
        except httpx.HTTPError as exc:
            raise FeedFetchError(f"download failed ({type(exc).__name__})") from None
        except (ValueError, UnicodeError):  # an URL httpx cannot use
            raise FeedFetchError("the feed's URL is not usable") from None

    async def aclose(self) -> None:
        await self._client.aclose()
