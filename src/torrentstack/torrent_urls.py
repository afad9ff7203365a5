"""Downloading a .torrent named by URL for `torrents/add`, as qBittorrent does (client and debrid)."""

from __future__ import annotations

import logging

import httpx

from torrentstack.qbittorrent.adding import Source

logger = logging.getLogger(__name__)

MAX_TORRENT_DOWNLOAD = 100 * 1024 * 1024  # qBittorrent's torrent_file_size_limit default


async def fetch_torrent(url: str, cookie: str) -> Source | None:
    """Download a .torrent (or follow a redirect to a magnet) with httpx; None on failure."""
    headers = {"Cookie": cookie} if cookie else {}
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=30.0) as client:
            for _ in range(10):
                response = await client.get(url, headers=headers)
                location = response.headers.get("location", "")
                if response.is_redirect and location.lower().startswith("magnet:"):
                    return Source(magnet=location)
                if response.is_redirect and location:
                    url = str(response.url.join(location))
                    continue
                if response.status_code != 200:
                    logger.info("torrent download failed: HTTP %s", response.status_code)
                    return None
                if len(response.content) > MAX_TORRENT_DOWNLOAD:
                    return None
                return Source(torrent=response.content)
    except httpx.HTTPError as exc:
        logger.info("torrent download failed: %s", type(exc).__name__)
    return None
