"""The announce URLs the site gives out, without any passkey: the configured ones
(`site.announce_http`, `site.announce_udp`), else HTTP and UDP (the tracker serves both on one
port) at the site's host (`site.public_url`'s, else the request's)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from torrentstack.config import SiteSettings


@dataclass(frozen=True, slots=True)
class AnnounceUrls:
    http: str
    udp: str | None
    http_configured: bool

    @property
    def all(self) -> list[str]:
        return [self.http] if self.udp is None else [self.http, self.udp]


def _host(settings: SiteSettings, request_host: str) -> str:
    host = (urlsplit(settings.public_url).hostname if settings.public_url else None) or ""
    host = host or request_host or "localhost"
    return f"[{host}]" if ":" in host else host


def announce_urls(settings: SiteSettings, tracker_port: int, request_host: str) -> AnnounceUrls:
    """The site's announce URLs for a request that reached it as `request_host`."""
    host = _host(settings, request_host)
    udp = settings.announce_udp or f"udp://{host}:{tracker_port}/announce"
    if settings.announce_http:
        return AnnounceUrls(settings.announce_http, udp, http_configured=True)
    fallback = f"http://{host}:{tracker_port}/announce"
    return AnnounceUrls(fallback, udp, http_configured=False)
