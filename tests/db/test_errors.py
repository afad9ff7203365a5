"""`database_errors`: a failing statement's SQL and bound values reach no message and no log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from torrentstack.client.store import ClientStore
from torrentstack.config import DatabaseSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine, database_url
from torrentstack.db.errors import database_errors
from torrentstack.errors import DatabaseError
from torrentstack.periodic import Periodic, describe
from torrentstack.tracker import repository
from torrentstack.tracker.policy import AuthKey

SECRET = "Passkey0SecretValue0123456789xyz"  # 32 characters, like a tracker key
INSERT = "INSERT INTO tracker_keys (key, valid_until) VALUES (:key, NULL)"

logger = logging.getLogger("tests.db.test_errors")


def assert_nothing_revealed(error: BaseException, *hidden: str) -> None:
    for shown in (str(error), repr(error), *map(str, error.args)):
        for secret in hidden:
            assert secret not in shown, shown


async def log_every_way(error: DatabaseError) -> None:
    """Log the error as the project's code does: its text, a traceback, a background loop."""
    logger.warning("database failed: %s", error)
    logger.warning("database failed: %s", describe(error))
    try:
        raise error
    except DatabaseError:
        logger.exception("database failed")

    async def job() -> None:
        raise error

    await Periodic("test-flush", job, 1.0).tick()


@pytest.mark.database
async def test_a_failing_statement_reveals_neither_its_values_nor_its_sql(
    database_settings, tmp_path, caplog
):
    engine = create_engine(database_settings, tmp_path)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(text(INSERT), {"key": SECRET})

        async def insert_again() -> None:  # the same key again: a unique violation
            with database_errors("save a probe key"):
                async with engine.begin() as conn:
                    await conn.execute(text(INSERT), {"key": SECRET})

        with caplog.at_level(logging.DEBUG), pytest.raises(DatabaseError) as info:
            await insert_again()
        error = info.value
        assert str(error) == "cannot save a probe key: IntegrityError"
        assert (error.action, error.cause) == ("save a probe key", "IntegrityError")
        assert_nothing_revealed(error, SECRET, "INSERT", "tracker_keys")
        # the original stays reachable for a debugger, with SQLAlchemy's parameters hidden
        assert "[SQL parameters hidden due to hide_parameters=True]" in str(error.__context__)
        with caplog.at_level(logging.DEBUG):
            await log_every_way(error)
        assert "cannot save a probe key: IntegrityError" in caplog.text
        assert "Traceback" in caplog.text  # logger.exception printed one ...
        for hidden in (SECRET, "INSERT", "tracker_keys"):  # ... without the original's text
            assert hidden not in caplog.text
    finally:
        await engine.dispose()


@pytest.mark.database
async def test_the_echo_log_shows_sql_but_never_the_values(database_settings, tmp_path, caplog):
    settings = database_settings.model_copy(update={"echo": True})
    engine = create_engine(settings, tmp_path)
    try:
        await migrate.upgrade(engine)
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            async with engine.begin() as conn:
                await conn.execute(text(INSERT), {"key": SECRET})
        assert "INSERT INTO tracker_keys" in caplog.text  # echo asked for the SQL
        assert SECRET not in caplog.text
    finally:
        await engine.dispose()


async def save_tracker_key(engine) -> None:
    await repository.save_key(engine, AuthKey(SECRET, None))


async def save_client_preferences(engine) -> None:
    await ClientStore(engine).put_preferences({"web_ui_password": f"@ByteArray({SECRET})"})


@pytest.mark.database
@pytest.mark.parametrize(
    ("write", "message"),
    [
        (save_tracker_key, "cannot save a tracker key: "),
        (save_client_preferences, "cannot save client_preferences: "),
    ],
)
async def test_stores_name_only_the_action_and_the_error_type(
    database_settings, tmp_path, caplog, write, message
):
    engine = create_engine(database_settings, tmp_path)  # not migrated: no tables
    try:
        with pytest.raises(DatabaseError) as info:
            await write(engine)
    finally:
        await engine.dispose()
    error = info.value
    assert str(error).startswith(message)
    assert str(error) == f"{message}{error.cause}"  # e.g. OperationalError, ProgrammingError
    assert_nothing_revealed(error, SECRET, "INSERT", "tracker_keys", "client_preferences (")
    with caplog.at_level(logging.DEBUG):
        await log_every_way(error)
    assert SECRET not in caplog.text and "INSERT" not in caplog.text


def test_connection_failures_are_database_errors_and_other_errors_pass():
    with (
        pytest.raises(DatabaseError, match=r"^cannot connect: ConnectionRefusedError$"),
        database_errors("connect"),
    ):
        raise ConnectionRefusedError(111, "Connection refused to postgres:hunter2@db")
    with pytest.raises(ValueError, match="not ours"), database_errors("parse"):
        raise ValueError("not ours")


async def test_cancellation_passes_through():
    async def cancelled() -> None:
        with database_errors("wait"):
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await cancelled()


def test_an_unparsable_url_is_not_repeated():
    with pytest.raises(DatabaseError) as info:
        database_url(DatabaseSettings(url="postgresql//admin:hunter2@db/x"), Path())
    assert "hunter2" not in str(info.value)
