"""Secrets nobody configured: made once, kept in the data directory (mode 0600), shown once.

The value is returned with `created=True` only the first time, so the caller can print it in the
start-up log that one time (as qBittorrent >= 4.6.1 does with its temporary WebUI password).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from torrentstack.errors import ConfigError


def load_or_create(data_dir: Path, name: str, nbytes: int = 24) -> tuple[str, bool]:
    """Return (secret, created) for `data_dir/secrets/<name>`, creating it when absent."""
    stored, clear = load_or_create_hashed(data_dir, name, lambda value: value, nbytes)
    return stored, clear is not None


def load_or_create_hashed(
    data_dir: Path, name: str, keep: Callable[[str], str], nbytes: int = 24
) -> tuple[str, str | None]:
    """Return (what is kept, the new secret or None) for `data_dir/secrets/<name>`.

    When the file is absent a secret is made and only `keep(secret)` is written (a password
    hash, say); the clear secret is returned that one time so the caller can show it.
    """
    folder = data_dir / "secrets"
    path = folder / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            stored = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            stored = ""
        if stored:
            return stored, None
        value = secrets.token_urlsafe(nbytes)
        stored = keep(value)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(stored + "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot keep the generated secret {name} in {folder}: {exc}") from exc
    return stored, value
