"""The client's preferences: qBittorrent's keys and defaults, overrides kept in the store.

`update` coerces each value to its key's type and range and ignores unknown keys (as qBittorrent
does); one bad value refuses the whole call (400), so nothing a request sends can leave the
client unusable (`load` skips a bad stored value instead, so an old one cannot stop a start);
`session_config` maps the ones libtorrent cares about onto the engine's `SessionConfig`, with the
normal or the alternative rate limits as `alt_speed` (this run's switch, not stored) says.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from torrentstack.client.engine import ProxyType, SessionConfig
from torrentstack.client.records import Limits
from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.preferences import DEFAULTS, FLOAT_RANGES, INT32, PATH_KEYS, RANGES

logger = logging.getLogger(__name__)

# qBittorrent's proxy_type: 4.x ints and 4.6+ names
_PROXY_TYPES: dict[Any, ProxyType] = {
    -1: ProxyType.NONE, 0: ProxyType.NONE, 1: ProxyType.HTTP, 2: ProxyType.SOCKS5,
    3: ProxyType.HTTP_PW, 4: ProxyType.SOCKS5_PW, 5: ProxyType.SOCKS4,
    "None": ProxyType.NONE, "HTTP": ProxyType.HTTP, "SOCKS5": ProxyType.SOCKS5,
    "SOCKS4": ProxyType.SOCKS4,
}  # fmt: skip


class Preferences:
    def __init__(
        self, *, save_path: str, listen_port: int, initial: dict[str, Any] | None = None
    ) -> None:
        self._values: dict[str, Any] = dict(DEFAULTS)
        self._values["save_path"] = save_path
        self._values["temp_path"] = save_path.rstrip("/") + "/temp"
        self._values["listen_port"] = listen_port
        self.alt_speed = False
        self.update(initial or {})

    def load(self, stored: dict[str, Any]) -> None:
        for key, value in stored.items():
            try:
                self.update({key: value})
            except BadParams:
                logger.warning(
                    "stored preference %s has an invalid value; its default is used", key
                )

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def all(self) -> dict[str, Any]:
        return dict(self._values)

    def changes(self, values: dict[str, Any]) -> dict[str, Any]:
        """What `values` would change (known keys, checked); BadParams naming a bad value."""
        checked = {
            key: _checked(key, self._values[key], value)
            for key, value in values.items()
            if key in self._values
        }
        return {key: value for key, value in checked.items() if value != self._values[key]}

    def update(self, values: dict[str, Any]) -> dict[str, Any]:
        """Apply every known key, or none (BadParams naming the first bad value); return what
        changed."""
        changed = self.changes(values)
        self._values.update(changed)
        return changed

    @property
    def save_path(self) -> str:
        return str(self._values["save_path"])

    @property
    def queueing(self) -> bool:
        return bool(self._values["queueing_enabled"])

    def limits(self) -> Limits:
        v = self._values
        return Limits(
            ratio=float(v["max_ratio"]) if v["max_ratio_enabled"] else -1.0,
            seeding_time=int(v["max_seeding_time"]) if v["max_seeding_time_enabled"] else -1,
            inactive_seeding_time=(
                int(v["max_inactive_seeding_time"])
                if v["max_inactive_seeding_time_enabled"]
                else -1
            ),
        )

    def session_config(self, host: str, persona: Persona) -> SessionConfig:
        v = self._values
        alt = self.alt_speed
        port = int(v["listen_port"])
        anywhere = ("", "0.0.0.0", "::")  # noqa: S104 - the WebUI host: listen as it does
        hosts = [host] if host not in anywhere else ["0.0.0.0", "[::]"]  # noqa: S104
        interfaces = ",".join(f"{_bracketed(h)}:{port}" for h in hosts)
        dl = int(v["alt_dl_limit"] if alt else v["dl_limit"])
        ul = int(v["alt_up_limit"] if alt else v["up_limit"])
        version = persona.app_version.lstrip("v")
        return SessionConfig(
            listen_interfaces=interfaces,
            outgoing_interfaces=str(v["current_network_interface"]),
            dht=bool(v["dht"]),
            lsd=bool(v["lsd"]),
            pex=bool(v["pex"]),
            upnp=bool(v["upnp"]),
            encryption=int(v["encryption"]),
            anonymous_mode=bool(v["anonymous_mode"]),
            download_rate_limit=max(dl, 0),
            upload_rate_limit=max(ul, 0),
            queueing=bool(v["queueing_enabled"]),
            max_active_downloads=int(v["max_active_downloads"]),
            max_active_uploads=int(v["max_active_uploads"]),
            max_active_torrents=int(v["max_active_torrents"]),
            dont_count_slow_torrents=bool(v["dont_count_slow_torrents"]),
            max_connections=max(int(v["max_connec"]), -1),
            max_uploads=max(int(v["max_uploads"]), -1),
            proxy_type=_PROXY_TYPES.get(v["proxy_type"], ProxyType.NONE),
            proxy_hostname=str(v["proxy_ip"]),
            proxy_port=int(v["proxy_port"]),
            proxy_username=str(v["proxy_username"]),
            proxy_password=str(v["proxy_password"]),
            proxy_peer_connections=bool(v["proxy_peer_connections"]),
            proxy_hostnames=True,
            announce_to_all_trackers=bool(v["announce_to_all_trackers"]),
            announce_to_all_tiers=bool(v["announce_to_all_tiers"]),
            user_agent=f"qBittorrent/{version}",
            peer_fingerprint="-qB" + version.replace(".", "")[:3] + "0-",
            banned_ips=tuple(ip.strip() for ip in str(v["banned_IPs"]).split("\n") if ip.strip()),
        )


def _checked(key: str, default: Any, value: Any) -> Any:
    """`value` as `key` takes it (its type, its range); BadParams when it cannot be."""
    if key == "proxy_type" and value in _PROXY_TYPES and not isinstance(value, bool):
        return value  # 4.x numbers and 4.6+ names
    if key in FLOAT_RANGES:
        coerced: Any = None
        if isinstance(value, float) and math.isfinite(value):
            coerced = int(value) if value.is_integer() else value
        elif isinstance(value, int) and not isinstance(value, bool):
            coerced = value
        low, high = FLOAT_RANGES[key]
        if coerced is None or not low <= coerced <= high:
            raise _invalid(key)
        return coerced
    coerced = _coerce(default, value)
    if coerced is None:
        raise _invalid(key)
    if isinstance(coerced, int) and not isinstance(coerced, bool):
        low, high = RANGES.get(key, INT32)
        if not low <= coerced <= high:
            raise _invalid(key)
    elif isinstance(coerced, str):
        if not _is_text(coerced) or (key in PATH_KEYS and "\x00" in coerced):
            raise _invalid(key)
    elif isinstance(coerced, dict | list):
        try:
            json.dumps(coerced, ensure_ascii=False, allow_nan=False).encode()
        except (ValueError, TypeError):  # NaN, lone surrogates, odd values inside
            raise _invalid(key) from None
    return coerced


def _invalid(key: str) -> BadParams:
    return BadParams(f"Invalid value for preference: {key}")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _coerce(default: Any, value: Any) -> Any:
    """`value` as the type of `default`; None when it cannot be."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, int):
            return bool(value)
        return None
    if isinstance(default, int):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return None
        return None
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None
    if isinstance(default, str):
        return value if isinstance(value, str) else None
    if isinstance(default, dict):
        return value if isinstance(value, dict) else None
    if isinstance(default, list):
        return value if isinstance(value, list) else None
    return None


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
