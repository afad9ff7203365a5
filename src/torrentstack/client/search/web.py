"""The search part's HTTP: plugin files from a URL and Torznab answers (the package's only httpx
importer; its errors become `FetchError` here). Bodies are capped."""

from __future__ import annotations

import httpx

from torrentstack import __version__
from torrentstack.errors import TorrentstackError

USER_AGENT = f"torrentstack-client/{__version__}"


class FetchError(TorrentstackError):
    pass


async def fetch(url: str, *, max_bytes: int, seconds: float = 30.0) -> bytes:
    """GET `url` (redirects followed); FetchError on a failure, a non-2xx answer or a body over
    `max_bytes`."""
    try:
        async with (
            httpx.AsyncClient(
                timeout=seconds, follow_redirects=True, headers={"User-Agent": USER_AGENT}
            ) as client,
            client.stream("GET", url) as response,
        ):
            if not response.is_success:
                raise FetchError(f"HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"larger than {max_bytes} bytes")
            return bytes(body)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc
