"""Secrets made on first start: kept 0600, the same on the next start, shown only once."""

from __future__ import annotations

import stat

import pytest

from torrentstack.errors import ConfigError
from torrentstack.generated_secrets import load_or_create


def test_created_once_then_reused_with_private_permissions(tmp_path):
    value, created = load_or_create(tmp_path, "tracker-api-token")
    again, created_again = load_or_create(tmp_path, "tracker-api-token")
    assert created and not created_again
    assert value == again and len(value) >= 32
    path = tmp_path / "secrets" / "tracker-api-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create(tmp_path, "other")[0] != value


def test_unwritable_directory_is_a_config_error(tmp_path):
    (tmp_path / "secrets").write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot keep the generated secret"):
        load_or_create(tmp_path, "x")
