"""Web seed URLs as qBittorrent 5.1 accepts them (`validateWebSeedUrl`): percent-decoded, a
valid URL, scheme http or https; anything else is a 400 with its message."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from torrentstack.qbittorrent.errors import BadParams

SCHEMES = ("http", "https")
_INVALID = set(' <>"{}|\\^`') | {chr(c) for c in range(0x20)} | {"\x7f"}


def web_seed_url(text: str) -> str:
    """The decoded URL, or BadParams with qBittorrent's message."""
    url = unquote(text, encoding="latin-1")
    try:
        parts = urlsplit(url)
        valid = not (set(url) & _INVALID)
        _ = parts.port  # a port that is not a number is invalid
    except ValueError:
        valid = False
    if not valid or not url:
        raise BadParams(f'"{url}" is not a valid URL')
    if parts.scheme.lower() not in SCHEMES:
        raise BadParams(f"URL scheme must be one of [{', '.join(SCHEMES)}]")
    return url


def web_seed_urls(text: str) -> list[str]:
    """A `|`-separated list (empty items skipped), each validated."""
    return [web_seed_url(item) for item in text.split("|") if item]
