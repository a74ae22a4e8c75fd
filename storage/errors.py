"""Which database failures are passing (retry the message later) and which are bugs.

A transient failure (a lock or pool timeout, a dropped connection, a serialization failure or
deadlock, the server shutting down) says nothing about the message: the same message will
succeed later. The engine lets it through so the platform redelivers (webhook 5xx) or the
poller fetches it again, instead of treating it as a poison message and apologising.

The drivers' own errors are classified by their type and code, wherever they are raised:
SQLAlchemy wraps most of them (`DBAPIError.orig`), but not one raised inside an event (SQLite's
BEGIN IMMEDIATE in `storage.sqlite_inline.begin_immediate`), nor one from a statement run on the
raw driver connection.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from sqlalchemy import exc as sa_exc

# PostgreSQL SQLSTATE classes and codes that pass: connection exceptions (08), transaction
# rollbacks such as serialization failures and deadlocks (40), insufficient resources (53),
# operator intervention such as a shutdown (57), lock not available (55P03).
_TRANSIENT_CLASSES = ("08", "40", "53", "57")
_TRANSIENT_CODES = ("55P03",)
# SQLite's primary result codes that pass: SQLITE_BUSY (5, "database is locked": another
# connection writes) and SQLITE_LOCKED (6, a table locked within the connection's cache).
_SQLITE_TRANSIENT = (5, 6)


class TransientError(Exception):
    """The message could not be processed now and will be fine later: redeliver it."""


def _sqlstate_passes(code: object) -> bool | None:
    if isinstance(code, str) and code:
        return code.startswith(_TRANSIENT_CLASSES) or code in _TRANSIENT_CODES
    return None


def _driver_verdict(error: BaseException | None) -> bool | None:
    """The verdict on a raw driver error (sqlite3, asyncpg, or SQLAlchemy's asyncpg adapter),
    or None when `error` is not one the drivers raise."""
    if error is None:
        return None
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int):
            return (code & 0xFF) in _SQLITE_TRANSIENT
        text = str(error).lower()
        return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
    asyncpg = sys.modules.get("asyncpg")  # no asyncpg error exists unless it was loaded
    if asyncpg is not None:
        if isinstance(error, asyncpg.PostgresError):
            return bool(_sqlstate_passes(getattr(error, "sqlstate", None)))
        if isinstance(error, asyncpg.InterfaceError):
            # Client-side: a closed connection passes; a misuse of the driver is a bug.
            return "closed" in str(error).lower()
    return _sqlstate_passes(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None))


def _lost_classes(asyncpg: Any) -> tuple[type[BaseException], ...]:
    """asyncpg's errors after which the connection is gone: connection errors (SQLSTATE 08), and
    the server ending the session (57P01 an administrator's command or a shutdown, 57P02 a crash)."""
    return (
        asyncpg.PostgresConnectionError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
    )


def is_lost_connection(error: BaseException) -> bool:
    """The connection to PostgreSQL is gone (the server restarted, or closed it): asyncpg's own
    error, or SQLAlchemy's adapter's translation of it (the original as its cause)."""
    asyncpg = sys.modules.get("asyncpg")
    seen: BaseException | None = error
    for _ in range(3):  # the error, the driver error it wraps, and that one's cause
        if seen is None:
            return False
        if isinstance(seen, ConnectionError):
            return True
        if asyncpg is not None:
            if isinstance(seen, _lost_classes(asyncpg)):
                return True
            if isinstance(seen, asyncpg.InterfaceError) and "closed" in str(seen).lower():
                return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if is_lost_connection(error):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        verdict = _driver_verdict(error.orig)
        if verdict is not None:
            return verdict
        # No code: SQLite's lock and asyncpg's lost connection come as Operational or
        # Interface errors; anything else (an integrity error, bad SQL) is a bug.
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError) and _says_busy(error)
    verdict = _driver_verdict(error)
    if verdict is not None:
        return verdict
    return isinstance(error, OSError | TimeoutError)  # a refused or dropped connection


def _says_busy(error: BaseException) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("locked", "busy", "closed", "connection", "timeout"))
