from __future__ import annotations

from pathlib import Path

import pytest

from torrentstack.config import Settings, default_config_path, load_settings
from torrentstack.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment():
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.tracker.port == 6969
    assert settings.site.port == 3000
    assert settings.client.port == 8080
    assert settings.crossseed.port == 2468
    assert settings.debrid.port == 8282
    assert settings.database.url == ""
    assert settings.redis.url == ""


def test_default_locations_follow_xdg(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    assert default_config_path(env) == tmp_path / "c" / "torrentstack" / "config.toml"
    assert Settings().data_dir(env) == tmp_path / "d" / "torrentstack"
    assert default_config_path({}).parts[-3:] == (".config", "torrentstack", "config.toml")


def test_data_dir_setting_overrides_xdg(tmp_path):
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path / "x")}})
    assert settings.data_dir({"XDG_DATA_HOME": "/elsewhere"}) == tmp_path / "x"


def test_default_file_location_is_read(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    write(tmp_path / "torrentstack" / "config.toml", "[tracker]\nport = 7000\n")
    assert load_settings(environ=env).tracker.port == 7000


def test_environment_overrides_file(tmp_path):
    path = write(tmp_path / "c.toml", '[tracker]\nport = 7000\nhost = "127.0.0.1"\n')
    env = {"TORRENTSTACK_TRACKER__PORT": "7001", "TORRENTSTACK_LOG__LEVEL": "DEBUG"}
    settings = load_settings(path, environ=env)
    assert settings.tracker.port == 7001
    assert settings.tracker.host == "127.0.0.1"
    assert settings.log.level == "DEBUG"


def test_environment_booleans(tmp_path):
    settings = load_settings(environ={"TORRENTSTACK_SITE__ENABLED": "false"})
    assert settings.site.enabled is False


def test_unknown_key_in_file_names_key_and_file(tmp_path):
    path = write(tmp_path / "c.toml", "[tracker]\nprot = 7000\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.key == "tracker.prot"
    assert str(path) in str(info.value)
    assert "tracker.prot" in str(info.value)


def test_unknown_section_in_file(tmp_path):
    path = write(tmp_path / "c.toml", "[trackr]\nport = 1\n")
    with pytest.raises(ConfigError, match=r"unknown setting trackr .*c\.toml"):
        load_settings(path, environ={})


def test_bad_value_names_key_and_file(tmp_path):
    path = write(tmp_path / "c.toml", '[client]\nport = "eighty"\n')
    with pytest.raises(ConfigError, match=r"bad value for client\.port \(in .*c\.toml\)"):
        load_settings(path, environ={})


def test_out_of_range_port(tmp_path):
    with pytest.raises(ConfigError, match=r"client\.port"):
        load_settings(environ={"TORRENTSTACK_CLIENT__PORT": "70000"})


def test_bad_value_in_environment_names_variable():
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"TORRENTSTACK_TRACKER__PORT": "x"})
    assert info.value.key == "tracker.port"
    assert "TORRENTSTACK_TRACKER__PORT" in str(info.value)


def test_unknown_environment_variable_is_an_error():
    with pytest.raises(
        ConfigError, match=r"unknown setting tracker\.nope .*TORRENTSTACK_TRACKER__NOPE"
    ):
        load_settings(environ={"TORRENTSTACK_TRACKER__NOPE": "1"})


def test_malformed_environment_name():
    with pytest.raises(ConfigError, match="TORRENTSTACK_TRACKER"):
        load_settings(environ={"TORRENTSTACK_TRACKER": "1"})


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_invalid_toml_is_an_error(tmp_path):
    path = write(tmp_path / "c.toml", "[tracker\n")
    with pytest.raises(ConfigError, match=r"cannot read config file .*c\.toml"):
        load_settings(path, environ={})


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.tracker.port = 1  # type: ignore[misc]
