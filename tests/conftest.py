"""Test-wide options and fixtures: database backend choice, isolated config and data dirs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.database import fresh_database
from torrentstack.config import DatabaseSettings

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torrentstack")
    group.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database backend for tests marked `database` (default sqlite)",
    )
    group.addoption(
        "--postgres-url",
        default=os.environ.get("TORRENTSTACK_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="admin URL of the PostgreSQL server; each test gets its own fresh database",
    )
    group.addoption(
        "--redis-url",
        default=os.environ.get("TORRENTSTACK_TEST_REDIS_URL", DEFAULT_REDIS_URL),
        help="Redis URL for tests marked `redis` (a database number of its own)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"torrentstack database backend: {config.getoption('--db')}"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test away from the real home, config and TORRENTSTACK_* variables."""
    for name in list(os.environ):
        if name.startswith("TORRENTSTACK_") and not name.startswith("TORRENTSTACK_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture
async def database_settings(
    request: pytest.FixtureRequest, db_backend: str, tmp_path: Path
) -> AsyncIterator[DatabaseSettings]:
    """Settings for an empty database of the chosen backend, dropped after the test."""
    postgres_url = request.config.getoption("--postgres-url")
    async with fresh_database(db_backend, postgres_url, tmp_path) as settings:
        yield settings
