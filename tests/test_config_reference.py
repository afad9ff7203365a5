from __future__ import annotations

import tomllib
from pathlib import Path

from torrentstack.cli.config_reference import env_name, render_markdown, render_toml
from torrentstack.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def test_defaults_toml_loads_back_to_the_defaults():
    text = render_toml()
    assert Settings.model_validate(tomllib.loads(text)) == Settings()


def test_defaults_toml_has_help_for_every_setting():
    text = render_toml()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert f"[{section}]" in text
        for key, sub in model.model_fields.items():  # type: ignore[union-attr]
            assert sub.description, f"{section}.{key} has no help text"
            assert f"# {sub.description}" in text


def test_every_setting_is_documented():
    docs = DOCS.read_text()
    for section, field in Settings.model_fields.items():
        for key in field.annotation.model_fields:  # type: ignore[union-attr]
            assert f"`{section}.{key}`" in docs, f"{section}.{key} missing from docs/config.md"
            assert env_name(section, key) in docs


def test_docs_config_md_is_current():
    assert DOCS.read_text() == render_markdown(), (
        "docs/config.md is stale: run `torrentstack config docs > docs/config.md`"
    )
