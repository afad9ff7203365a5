"""The command line as a user sees it: exit codes, one-line errors, config and db commands."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from tests.support.cli import assert_one_line_error, run_cli
from torrentstack import __version__
from torrentstack.config import Settings
from torrentstack.db import migrate


def test_version(capsys):
    assert run_cli(capsys, "version") == (0, f"torrentstack {__version__}\n", "")


def test_config_defaults_is_loadable_toml(capsys):
    code, out, _ = run_cli(capsys, "config", "defaults")
    assert code == 0
    assert Settings.model_validate(tomllib.loads(out)) == Settings()


def test_config_show_merges_file_and_environment(capsys, tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text("[tracker]\nport = 7000\n")
    monkeypatch.setenv("TORRENTSTACK_SITE__PORT", "3001")
    code, out, _ = run_cli(capsys, "config", "show", "--config", str(path))
    assert code == 0
    shown = tomllib.loads(out)
    assert shown["tracker"]["port"] == 7000
    assert shown["site"]["port"] == 3001


def test_config_show_does_not_print_secrets(capsys, monkeypatch):
    monkeypatch.setenv("TORRENTSTACK_CLIENT__WEBUI_PASSWORD", "hunter2-webui")
    monkeypatch.setenv("TORRENTSTACK_TRACKER__API_TOKENS", '["token-abc-123"]')
    monkeypatch.setenv("TORRENTSTACK_DATABASE__URL", "postgresql+asyncpg://me:dbpass99@h/db")
    monkeypatch.setenv("TORRENTSTACK_REDIS__URL", "redis://:redispass77@127.0.0.1:6379/0")
    code, out, _ = run_cli(capsys, "config", "show")
    assert code == 0
    for secret in ("hunter2-webui", "token-abc-123", "dbpass99", "redispass77"):
        assert secret not in out
    assert "# webui_password = (set, not shown)" in out
    assert "# api_tokens = (set, not shown)" in out
    assert tomllib.loads(out)["client"]["webui_username"] == "admin"  # still TOML


def test_config_show_prints_tables_in_lists_without_their_secrets(capsys, monkeypatch, tmp_path):
    providers = [{"provider": "realdebrid", "api_key": "rd-secret-4711", "api_url": "http://x"}]
    monkeypatch.setenv("TORRENTSTACK_DEBRID__PROVIDERS", json.dumps(providers))
    monkeypatch.setenv(
        "TORRENTSTACK_DEBRID__ARRS", '[{"name": "sonarr", "host": "http://s", "token": "arr-8642"}]'
    )
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 0, err
    assert "rd-secret-4711" not in out + err and "arr-8642" not in out + err
    assert '# providers = [{"provider" = "realdebrid"' in out and "(secrets not shown)" in out
    monkeypatch.delenv("TORRENTSTACK_DEBRID__PROVIDERS")
    path = tmp_path / "config.toml"  # and without secrets set, the table loads back
    path.write_text('[[debrid.providers]]\nprovider = "torbox"\n')
    code, out, _ = run_cli(capsys, "config", "show", "--config", str(path))
    assert code == 0
    assert tomllib.loads(out)["debrid"]["providers"][0]["provider"] == "torbox"


def test_bad_config_key_is_one_line_error(capsys, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[tracker]\nprot = 1\n")
    code, _, err = run_cli(capsys, "config", "show", "--config", str(path))
    assert_one_line_error(code, err)
    assert "tracker.prot" in err
    assert str(path) in err


def test_missing_config_file_is_one_line_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, "serve", "--config", str(tmp_path / "nope.toml"))
    assert_one_line_error(code, err)


def test_unknown_service_is_one_line_error(capsys):
    code, _, err = run_cli(capsys, "serve", "nosuchservice")
    assert_one_line_error(code, err)
    assert "nosuchservice" in err


def test_unknown_command_is_one_line_error(capsys):
    code, _, err = run_cli(capsys, "frobnicate")
    assert_one_line_error(code, err)
    assert code == 2


def test_bad_option_is_one_line_error(capsys):
    code, _, err = run_cli(capsys, "config", "defaults", "--nope")
    assert_one_line_error(code, err)


@pytest.mark.database
def test_db_upgrade(capsys, database_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("TORRENTSTACK_DATABASE__URL", database_settings.url)
    monkeypatch.setenv("TORRENTSTACK_PATHS__DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run_cli(capsys, "db", "upgrade")
    assert code == 0
    assert out == f"database at revision {migrate.heads()[0]}\n"


def test_db_upgrade_unreachable_database_is_one_line_error(capsys, monkeypatch):
    monkeypatch.setenv("TORRENTSTACK_DATABASE__URL", "mysql://nobody@127.0.0.1/x")
    code, _, err = run_cli(capsys, "db", "upgrade")
    assert_one_line_error(code, err)
    assert "database.url" in err


def test_python_dash_m_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "torrentstack", "version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"torrentstack {__version__}"
