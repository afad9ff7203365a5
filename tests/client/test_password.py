"""The WebUI password: PBKDF2 hash, generated once when not configured, never kept in clear."""

from __future__ import annotations

import logging

import pytest

from torrentstack.client.runtime import password_hash
from torrentstack.config import ClientSettings
from torrentstack.qbittorrent_api.auth import hash_password, verify_password


def test_hash_verifies_only_its_password():
    stored = hash_password("s3cret")
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret ", stored)
    assert stored != hash_password("s3cret")  # salted


@pytest.mark.parametrize("stored", ["", "nocolon", "!!:!!", "c2FsdA==:"])
def test_malformed_hashes_verify_nothing(stored):
    assert not verify_password("", stored)


def test_generated_password_is_shown_once_and_kept_as_a_hash(tmp_path, caplog):
    settings = ClientSettings()
    with caplog.at_level(logging.WARNING):
        first = password_hash(settings, tmp_path)
    shown = [r for r in caplog.records if "generated password" in r.getMessage()]
    assert len(shown) == 1
    password = shown[0].args[1]  # type: ignore[index]
    assert verify_password(str(password), first)
    kept = (tmp_path / "secrets" / "client-webui-password").read_text()
    assert str(password) not in kept and kept.strip() == first
    assert (tmp_path / "secrets" / "client-webui-password").stat().st_mode & 0o777 == 0o600
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert password_hash(settings, tmp_path) == first
    assert not caplog.records


def test_configured_password_is_used_and_nothing_is_written(tmp_path):
    stored = password_hash(ClientSettings(webui_password="mine"), tmp_path)
    assert verify_password("mine", stored)
    assert not (tmp_path / "secrets").exists()
