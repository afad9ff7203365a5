"""Secrets nobody configured: made once, kept in the data directory (mode 0600), shown once.

The value is returned with `created=True` only the first time, so the caller can print it in the
start-up log that one time (as qBittorrent >= 4.6.1 does with its temporary WebUI password).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from torrentstack.errors import ConfigError


def load_or_create(data_dir: Path, name: str, nbytes: int = 24) -> tuple[str, bool]:
    """Return (secret, created) for `data_dir/secrets/<name>`, creating it when absent."""
    folder = data_dir / "secrets"
    path = folder / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            value = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            value = ""
        if value:
            return value, False
        value = secrets.token_urlsafe(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value + "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot keep the generated secret {name} in {folder}: {exc}") from exc
    return value, True
