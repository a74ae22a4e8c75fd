"""Which database failures are passing (retry the message later) and which are bugs.

A transient failure (a lock or pool timeout, a dropped connection, a serialization failure or
deadlock, the server shutting down) says nothing about the message: the same message will
succeed later. The engine lets it through so the platform redelivers (webhook 5xx) or the
poller fetches it again, instead of treating it as a poison message and apologising.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# PostgreSQL SQLSTATE classes and codes that pass: connection exceptions (08), transaction
# rollbacks such as serialization failures and deadlocks (40), insufficient resources (53),
# operator intervention such as a shutdown (57), lock not available (55P03).
_TRANSIENT_CLASSES = ("08", "40", "53", "57")
_TRANSIENT_CODES = ("55P03",)


class TransientError(Exception):
    """The message could not be processed now and will be fine later: redeliver it."""


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(code, str) and code:
            return code.startswith(_TRANSIENT_CLASSES) or code in _TRANSIENT_CODES
        # SQLite reports a held lock and a busy database as OperationalError without a code;
        # so does asyncpg for a connection that went away.
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(error, OSError | TimeoutError)  # a refused or dropped connection
