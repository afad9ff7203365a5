"""Loading the settings: defaults -> TOML file -> TORRENTSTACK_* environment variables.

Only this module and the test setup read the environment.
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
from typing import Any

from pydantic import BaseModel, ValidationError

from torrentstack.config.settings import Settings
from torrentstack.errors import ConfigError

ENV_PREFIX = "TORRENTSTACK_"
ENV_SEPARATOR = "__"


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
