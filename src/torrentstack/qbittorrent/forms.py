"""Reading request parameters the way qBittorrent does: booleans, numbers, hash lists, tags.

Every reader takes the call's parameter mapping; a missing required parameter is 400 with an
empty message (`requireParams`), a value that does not parse is 400 as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from torrentstack.qbittorrent.errors import BadParams

ALL = "all"


def require(params: Mapping[str, str], *names: str) -> None:
    """qBittorrent's `requireParams`: 400 `Bad Request` when one is absent."""
    if any(name not in params for name in names):
        raise BadParams()


def parse_bool(text: str | None) -> bool | None:
    """`Utils::String::parseBool`: "true"/"false" in any case; anything else is no value."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def flag(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = parse_bool(params.get(name))
    return default if value is None else value


def optional_flag(params: Mapping[str, str], name: str) -> bool | None:
    return parse_bool(params.get(name))


def integer(params: Mapping[str, str], name: str, default: int | None = None) -> int:
    """An integer parameter; absent gives `default` (required when None)."""
    text = params.get(name)
    if text is None or (text == "" and default is not None):
        if default is None:
            raise BadParams()
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise BadParams(f"'{name}' must be an integer") from None


def number(params: Mapping[str, str], name: str, default: float | None = None) -> float:
    text = params.get(name)
    if text is None or (text == "" and default is not None):
        if default is None:
            raise BadParams()
        return default
    try:
        value = float(text.strip())
    except ValueError:
        raise BadParams(f"'{name}' must be a number") from None
    if not math.isfinite(value):
        raise BadParams(f"'{name}' must be a number")
    return value


def hashes(params: Mapping[str, str], name: str = "hashes") -> list[str] | None:
    """`a|b|c` lower-cased; None means every torrent (`all`). Required."""
    require(params, name)
    text = params[name]
    items = [item.strip().lower() for item in text.split("|") if item.strip()]
    if any(item == ALL for item in items):
        return None
    return items


def single_hash(params: Mapping[str, str]) -> str:
    require(params, "hash")
    return params["hash"].strip().lower()


def tags(text: str | None) -> list[str]:
    """Comma-separated tags, trimmed, empty ones dropped, order kept, duplicates once."""
    if not text:
        return []
    return list(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))


def lines(text: str | None) -> list[str]:
    """Newline-separated items (urls, category names), blank lines dropped."""
    if not text:
        return []
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def parse_hashes(text: str | None) -> set[str] | None:
    """An optional `hashes` filter: None when absent or `all`."""
    if text is None:
        return None
    items = {item.strip().lower() for item in text.split("|") if item.strip()}
    return None if ALL in items else items


def peers(text: str) -> list[tuple[str, int]]:
    """`host:port|[v6]:port|...`; malformed items are dropped."""
    out: list[tuple[str, int]] = []
    for item in text.split("|"):
        host, sep, port = item.strip().rpartition(":")
        host = host.strip()
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            continue
        if ":" in host and not _ipv6(host):
            continue
        out.append((host, int(port)))
    return out


def _ipv6(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True
