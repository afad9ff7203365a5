"""The one typed settings tree, and its loading: defaults -> TOML file -> TORRENTSTACK_* env.

Only this module and the test setup read the environment; every service receives its own
frozen sub-tree from the composition root. Rendering (commented TOML, Markdown) lives in
`config_reference.py`.
"""

from __future__ import annotations

import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from torrentstack.errors import ConfigError

ENV_PREFIX = "TORRENTSTACK_"
ENV_SEPARATOR = "__"

Port = Annotated[int, Field(ge=0, le=65535)]


class Section(BaseModel):
    """Base of every settings table: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class PathsSettings(Section):
    data_dir: Path | None = Field(
        default=None,
        description="Directory for the SQLite database, resume data and generated secrets. "
        "Empty means $XDG_DATA_HOME/torrentstack (default ~/.local/share/torrentstack).",
    )


class DatabaseSettings(Section):
    url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means a SQLite file `torrentstack.db` in the data "
        "directory; `postgresql+asyncpg://user@host/db` (or `postgresql://...`) for PostgreSQL.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="How long a SQLite connection waits for a lock before failing (milliseconds).",
    )
    pool_size: int = Field(
        default=5, ge=1, description="Connections kept open to PostgreSQL (ignored for SQLite)."
    )
    echo: bool = Field(default=False, description="Log every SQL statement (for debugging).")


class RedisSettings(Section):
    url: str = Field(
        default="",
        description="redis:// URL shared by processes of one deployment. Empty means the swarm, "
        "caches and rate limits stay in memory (one process).",
    )


class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to standard error."
    )
    access_log: bool = Field(
        default=False,
        description="Log every HTTP request (query strings are redacted of secrets); the "
        "tracker's announce/scrape port never logs requests.",
    )


class ListenerSettings(Section):
    """A service's switch and its main listening address."""

    enabled: bool = Field(default=True, description="Start this service with `serve`.")
    host: str = Field(default="0.0.0.0", description="Address to listen on (`::` for IPv6).")  # noqa: S104 - a server for the network
    port: Port = Field(default=0, description="TCP port (0 picks a free port).")


TrackerModeName = Literal["public", "listed", "private", "private_listed"]


class TrackerSettings(ListenerSettings):
    port: Port = Field(default=6969, description="HTTP announce/scrape port (UDP uses the same).")
    udp: bool = Field(default=True, description="Also answer BEP 15 UDP announces on `port`.")
    mode: TrackerModeName = Field(
        default="public",
        description="Access mode as in Torrust: `public` tracks any torrent, `listed` only "
        "whitelisted ones, `private` needs a key (`/announce/KEY`), `private_listed` both.",
    )
    api_host: str = Field(
        default="127.0.0.1", description="Address of the Torrust-compatible admin REST API."
    )
    api_port: Port = Field(default=1212, description="Port of the admin REST API.")
    api_tokens: list[str] = Field(
        default_factory=list,
        description="Access tokens for the admin API (`?token=`). Empty means one token is "
        "generated on first start, stored in the data directory and printed once.",
    )
    announce_interval: int = Field(
        default=120, ge=1, description="`interval` sent to clients (seconds)."
    )
    min_announce_interval: int = Field(
        default=120, ge=1, description="`min interval` sent to clients (seconds)."
    )
    numwant_default: int = Field(
        default=74, ge=0, description="Peers returned when the client does not say `numwant`."
    )
    numwant_max: int = Field(default=74, ge=0, description="Most peers returned to one announce.")
    max_scrape_torrents: int = Field(
        default=74, ge=1, description="Most info hashes answered in one scrape."
    )
    peer_timeout: int = Field(
        default=900, ge=1, description="Seconds without an announce after which a peer is dropped."
    )
    cleanup_interval: int = Field(
        default=120, ge=1, description="Seconds between sweeps that drop timed-out peers."
    )
    on_reverse_proxy: bool = Field(
        default=False,
        description="Behind a reverse proxy: take the client address from the right-most "
        "X-Forwarded-For entry (requests without one are refused). Off: the header is ignored.",
    )
    external_ip: str = Field(
        default="",
        description="Address to hand out for peers connecting from loopback (empty: keep it).",
    )
    compiled: bool = Field(
        default=True,
        description="Keep swarms in the compiled module and answer plain UDP announces and "
        "scrapes in C, when the install built it. Off: the pure-Python swarm (same behaviour, "
        "slower).",
    )


class SiteSettings(ListenerSettings):
    port: Port = Field(
        default=3000, description="Port of the site (JSON API, Torznab, RSS, pages)."
    )


class ClientSettings(ListenerSettings):
    port: Port = Field(default=8080, description="Port of the qBittorrent-compatible WebUI API.")
    webui_username: str = Field(default="admin", description="WebUI API user name.")
    webui_password: str = Field(
        default="",
        description="WebUI API password (empty: one is generated on first start, printed once "
        "in the log, and only its PBKDF2 hash is kept in the data directory).",
    )
    persona: Literal["4.6", "5.1"] = Field(
        default="4.6",
        description="qBittorrent to answer as: `4.6` (v4.6.7, WebAPI 2.9.3, pause/resume) or "
        "`5.1` (v5.1.4, WebAPI 2.11.4, stop/start).",
    )
    session_timeout: int = Field(
        default=3600, ge=1, description="Seconds a WebUI session lives without a request."
    )
    max_auth_fail_count: int = Field(
        default=5, ge=0, description="Failed logins from one IP before it is banned (0: never)."
    )
    ban_duration: int = Field(default=3600, ge=1, description="Seconds an IP stays banned.")
    localhost_auth: bool = Field(
        default=True, description="Require a login from loopback too (off: loopback needs none)."
    )
    auth_subnet_whitelist: list[str] = Field(
        default_factory=list, description="Networks (CIDR) whose clients need no login."
    )
    csrf_protection: bool = Field(
        default=True, description="Refuse (401) requests whose Origin/Referer is another host."
    )
    host_header_validation: bool = Field(
        default=True,
        description="Refuse (401) requests whose Host names another port or an unknown domain.",
    )
    server_domains: str = Field(
        default="*", description="Domains the Host header may name, `;`-separated, `*` = any."
    )
    listen_port: Port = Field(
        default=6881,
        description="BitTorrent listen port, TCP and uTP (0 picks a free one); the "
        "`listen_port` preference changes it at run time.",
    )
    save_path: str = Field(
        default="",
        description="Default save path for downloads (empty: `downloads` in the data "
        "directory); the `save_path` preference changes it at run time.",
    )
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description="Initial qBittorrent preferences (keys of `app/preferences`, e.g. "
        '`{"dht": false}`); values set through `app/setPreferences` take precedence.',
    )


class CrossseedSettings(ListenerSettings):
    port: Port = Field(default=2468, description="Port of the cross-seed HTTP API.")


class DebridSettings(ListenerSettings):
    port: Port = Field(
        default=8282, description="Port of the debrid bridge (qBittorrent API + /api)."
    )


class Settings(Section):
    """Every setting of torrentstack, one table per section of config.toml."""

    paths: PathsSettings = PathsSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    log: LogSettings = LogSettings()
    tracker: TrackerSettings = TrackerSettings()
    site: SiteSettings = SiteSettings()
    client: ClientSettings = ClientSettings()
    crossseed: CrossseedSettings = CrossseedSettings()
    debrid: DebridSettings = DebridSettings()

    def data_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        """Return the data directory: `paths.data_dir` or the XDG default."""
        if self.paths.data_dir is not None:
            return self.paths.data_dir.expanduser()
        env = os.environ if environ is None else environ
        base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "torrentstack"


SERVICES: tuple[str, ...] = ("tracker", "site", "client", "crossseed", "debrid")


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return `$XDG_CONFIG_HOME/torrentstack/config.toml` (default under ~/.config)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "torrentstack" / "config.toml"


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a value came from, for error messages."""

    source: str
    key: str


def load_settings(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load settings from defaults, then the TOML file, then TORRENTSTACK_* variables.

    `config_path` None means the default location, which may be absent; an explicit path
    must exist. Any unknown key or bad value raises ConfigError naming the key and source.
    """
    env = os.environ if environ is None else environ
    explicit = config_path is not None
    path = config_path if config_path is not None else default_config_path(env)
    tree: dict[str, Any] = {}
    origins: dict[tuple[str, ...], _Origin] = {}
    if path.exists() or explicit:
        file_tree = _read_toml(path)
        tree = file_tree
        for keys in _leaf_paths(file_tree):
            origins[keys] = _Origin(str(path), ".".join(keys))
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = _env_keys(name)
        _assign(tree, keys, _env_value(keys, raw, name), name)
        origins[keys] = _Origin(f"environment variable {name}", ".".join(keys))
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        raise _config_error(exc, origins) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", source=str(path)) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}", source=str(path)) from None


def _leaf_paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.extend(_leaf_paths(value, (*prefix, key)))
        else:
            out.append((*prefix, key))
    return out


def _env_keys(name: str) -> tuple[str, ...]:
    parts = name[len(ENV_PREFIX) :].split(ENV_SEPARATOR)
    if len(parts) < 2 or not all(parts):
        raise ConfigError(
            f"environment variable {name}: expected {ENV_PREFIX}<SECTION>{ENV_SEPARATOR}<KEY>",
            key=name,
            source="environment",
        )
    return tuple(part.lower() for part in parts)


def _field_annotation(keys: tuple[str, ...]) -> Any:
    """Return the annotation of the field at `keys`, or None when there is no such field."""
    model: Any = Settings
    annotation: Any = None
    for key in keys:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(key)
        if field is None:
            return None
        annotation = field.annotation
        model = annotation
    return annotation


def _wants_json(annotation: Any) -> bool:
    """Say whether an env value for this field is JSON (lists and tables are)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_wants_json(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return origin in (list, dict, tuple, set, frozenset) or annotation in (list, dict)


def _env_value(keys: tuple[str, ...], raw: str, name: str) -> Any:
    annotation = _field_annotation(keys)
    if annotation is None or not _wants_json(annotation):
        return raw  # pydantic converts "true", "6969" ...; unknown keys fail validation
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{'.'.join(keys)}: {name} must be JSON ({exc.msg})", key=".".join(keys), source=name
        ) from None


def _assign(tree: dict[str, Any], keys: tuple[str, ...], value: Any, name: str) -> None:
    node = tree
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(
                f"{'.'.join(keys)}: {name} sets a key inside a value that is not a table",
                key=".".join(keys),
                source=name,
            )
        node = child
    node[keys[-1]] = value


def _config_error(exc: ValidationError, origins: Mapping[tuple[str, ...], _Origin]) -> ConfigError:
    first = exc.errors()[0]
    keys = tuple(str(part) for part in first["loc"])
    dotted = ".".join(keys) or "(top level)"
    origin = _find_origin(keys, origins)
    source = origin.source if origin else "defaults"
    if first["type"] == "extra_forbidden":
        message = f"unknown setting {dotted} (in {source})"
    else:
        message = f"bad value for {dotted} (in {source}): {first['msg']}"
    return ConfigError(message, key=dotted, source=source)


def _find_origin(
    keys: tuple[str, ...], origins: Mapping[tuple[str, ...], _Origin]
) -> _Origin | None:
    for length in range(len(keys), 0, -1):
        found = origins.get(keys[:length])
        if found is not None:
            return found
    # an unknown table: any leaf below it names the source
    for leaf, origin in origins.items():
        if leaf[: len(keys)] == keys:
            return origin
    return None
