"""`database_errors`: the one place where SQLAlchemy's (and the drivers') errors become ours.

A database error's text holds the SQL, its bound values and, from PostgreSQL, a DETAIL line
that repeats a row's values ("Key (passkey)=(...) already exists"): stored secrets such as
password hashes and passkeys. So the `DatabaseError` names only what was being done and the
exception type, and it does not chain the original for tracebacks to print.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from torrentstack.errors import DatabaseError

# What a database call can raise besides SQLAlchemy's errors: a refused or timed-out
# connection reaches the caller as OSError (TimeoutError is one) from some drivers.
_FAILURES = (SQLAlchemyError, OSError)


@contextmanager
def database_errors(action: str) -> Iterator[None]:
    """Turn a database failure inside the block into `DatabaseError("cannot <action>: <Type>")`.

    `action` says what was being done ("load the whitelist"); it must not hold a secret.
    """
    try:
        yield
    except _FAILURES as exc:
        # `from None`: a traceback of the DatabaseError must not print the original's text;
        # it stays reachable as __context__ for a debugger.
        raise DatabaseError(
            f"cannot {action}: {type(exc).__name__}", action=action, cause=type(exc).__name__
        ) from None
