"""Trackers as cross-seed keeps them on searchees: the announce URL's host[:port], no passkey."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable


def tracker_host(url: str) -> str | None:
    """The URL's host[:port], lower-case; None when it is not a URL (e.g. qBittorrent's "** [DHT] **")."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parts.netloc.rsplit("@", 1)[-1].lower()


def tracker_hosts(urls: Iterable[str]) -> tuple[str, ...]:
    """The hosts of `urls`, first-seen order, without duplicates or non-URLs."""
    return tuple(dict.fromkeys(h for h in map(tracker_host, urls) if h))
