"""SQLAlchemy Core statements run straight on the database driver, for the engine's hot path.

Every message runs the same handful of statements (`storage.conversation`). Through
SQLAlchemy each execution builds an execution context, looks the compiled form up in the
cache, processes parameters and wraps the result rows: several times the work SQLite itself
does for a one-row insert. `DriverStatement` compiles a Core statement once per dialect and
keeps what the execution needs: the SQL text, the parameters' order, and SQLAlchemy's own
bind and result processors (so a datetime, a JSON document or an encrypted column is written
and read exactly as the ORM does). `Driver` runs such statements on the connection of the
caller's unit of work, inside its transaction:

- SQLite (`storage.sqlite_inline`): the `sqlite3` connection itself, synchronously;
- PostgreSQL (asyncpg): the asyncpg connection, its statements prepared and cached by asyncpg,
  awaited from SQLAlchemy's greenlet (`await_only`); the transaction SQLAlchemy's adapter
  would open at its first statement is opened first.

The engine's `before_cursor_execute` listeners see each statement as they see SQLAlchemy's
(`storage.text_guard` refuses what no row may hold; tests record the statements run). A driver
error comes through as the driver raises it (`storage.errors` classifies those too).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Insert
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.util import await_only

from storage.errors import is_lost_connection

Processor = Callable[[Any], Any] | None
_BOUND = object()
"""In a statement's slot: the value comes from the caller's parameters at each execution."""


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled for one dialect, ready for the driver."""

    sql: str
    names: tuple[str, ...]
    """The bound parameters' names, in the order the SQL text takes them."""
    binds: tuple[Processor, ...]
    literals: Mapping[str, Any]
    """Values the statement carries itself (a literal in the statement, rendered as a parameter)."""
    defaults: Mapping[str, Any]
    """The scalar defaults of the columns an INSERT was given no value for."""
    columns: tuple[str, ...]
    """What the statement returns (RETURNING, SELECT), by name."""
    results: tuple[Processor, ...]
    _slots: tuple[tuple[str, Any, Processor], ...] = field(init=False, repr=False, compare=False)
    """(name, the processed literal or `_BOUND`, the bind processor), in the SQL text's order."""

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect, keys: Sequence[str] | None = None) -> DriverStatement:
        """Compiles `statement`; `keys` names the columns an INSERT without `.values()` takes.

        An INSERT that returns nothing is compiled `inline`: PostgreSQL would otherwise add
        RETURNING of the new row's key. A column default that must be computed per row (a
        function) is refused: the caller gives that value.
        """
        if isinstance(statement, Insert) and not statement._returning:
            statement = statement.inline()
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        literals = {
            name: bind.value
            for bind, name in compiled.bind_names.items()
            if not bind.required and bind.value is not None and bind.callable is None
        }
        defaults: dict[str, Any] = {}
        for column in compiled.insert_prefetch:
            default = column.default
            if default is None or not default.is_scalar:
                raise ValueError(f"{column.name}: give its value; its default is computed per row")
            defaults[column.key] = default.arg
        names = tuple(compiled.positiontup or ())
        processors = compiled._bind_processors  # SQLAlchemy's own, as its execution applies them
        returned = compiled._result_columns
        columns = tuple(entry[0] for entry in returned)
        results = tuple(entry[3]._cached_result_processor(dialect, None) for entry in returned)
        binds = tuple(processors.get(name) for name in names)
        return cls(compiled.string, names, binds, literals, defaults, columns, results)

    def __post_init__(self) -> None:
        slots: list[tuple[str, Any, Processor]] = []
        for name, process in zip(self.names, self.binds, strict=True):
            if name in self.literals:  # the same value every time: processed once, here
                value = self.literals[name]
                slots.append((name, value if process is None or value is None else process(value), None))
            else:
                slots.append((name, _BOUND, process))
        object.__setattr__(self, "_slots", tuple(slots))

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values to bind, in the SQL text's order: a literal's, else the caller's, else the
        column's default; each through SQLAlchemy's bind processor. One pass: this runs for
        every statement of every message."""
        values: list[Any] = []
        append = values.append
        defaults = self.defaults
        for name, fixed, process in self._slots:
            if fixed is _BOUND:
                value = params[name] if name in params else defaults[name]
                append(value if process is None or value is None else process(value))
            else:
                append(fixed)
        return tuple(values)

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if process is None or value is None else process(value)
            for name, value, process in zip(self.columns, values, self.results, strict=True)
        }


class Driver:
    """The driver connection under a SQLAlchemy connection that is in a transaction; only
    within that connection's greenlet (`AsyncSession.run_sync`, `AsyncConnection.run_sync`).

    `begin=False` (PostgreSQL): a statement runs in the transaction if one is open, else on
    its own (the server commits it as it ends): the optimistic turn's, which need no BEGIN and
    COMMIT around them (`storage.conversation.peek_turn`)."""

    def __init__(self, connection: Connection, *, begin: bool = True) -> None:
        self._connection = connection
        self._sqlite: sqlite3.Connection | None = None
        self._asyncpg: Any = None
        if connection.dialect.name == "sqlite":
            self._sqlite = connection.connection.driver_connection._conn  # type: ignore[union-attr]
            return
        adapted: Any = connection.connection.dbapi_connection
        if adapted._transaction is None and begin:  # SQLAlchemy's adapter opens it at its first statement
            self._pg(adapted._start_transaction())
        self._asyncpg = adapted._connection

    @staticmethod
    def in_transaction(connection: Connection) -> bool:
        """PostgreSQL: whether the adapter under `connection` has begun its transaction (a
        statement ran since the unit of work began); SQLite: always (BEGIN is issued at once)."""
        if connection.dialect.name == "sqlite":
            return True
        return connection.connection.dbapi_connection._transaction is not None  # type: ignore[union-attr]

    def one(self, statement: DriverStatement, params: Mapping[str, Any]) -> dict[str, Any]:
        """Runs a statement that returns exactly one row; that row, by column name."""
        row = self.one_or_none(statement, params)
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    def one_or_none(self, statement: DriverStatement, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Runs a statement that returns at most one row; that row by column name, or None."""
        arguments = self._seen(statement, statement.arguments(params), many=False)
        if self._sqlite is not None:
            values = self._sqlite.execute(statement.sql, arguments).fetchone()
        else:
            values = self._pg(self._asyncpg.fetchrow(statement.sql, *arguments))
        return None if values is None else statement.row(values)

    def run(self, statement: DriverStatement, params: Mapping[str, Any]) -> int:
        """Runs a statement; the number of rows it wrote."""
        arguments = self._seen(statement, statement.arguments(params), many=False)
        if self._sqlite is not None:
            return int(self._sqlite.execute(statement.sql, arguments).rowcount)
        status: str = self._pg(self._asyncpg.execute(statement.sql, *arguments))
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    def many(self, statement: DriverStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Runs a statement once per row (an INSERT of several rows)."""
        if not rows:
            return
        arguments = self._seen(statement, [statement.arguments(row) for row in rows], many=True)
        if self._sqlite is not None:
            self._sqlite.executemany(statement.sql, arguments)
        elif len(arguments) == 1:
            self._pg(self._asyncpg.execute(statement.sql, *arguments[0]))
        else:
            self._pg(self._asyncpg.executemany(statement.sql, arguments))

    def _pg(self, awaitable: Any) -> Any:
        """Awaits an asyncpg call. A lost connection is SQLAlchemy's to handle, as for its own
        statements: this connection is not used again, and the pool's others (likely lost
        too: a server restart ends them all) are replaced at their next checkout. Then the
        error goes on (a transient one: the message is delivered again)."""
        try:
            return await_only(awaitable)
        except Exception as error:
            if is_lost_connection(error):
                self._connection.invalidate(error)
                self._connection.engine.dispose(close=False)
            raise

    def _seen(self, statement: DriverStatement, arguments: Any, *, many: bool) -> Any:
        """Shows the statement to the engine's `before_cursor_execute` listeners, as SQLAlchemy does."""
        for listener in self._connection.dispatch.before_cursor_execute:
            _sql, arguments = listener(self._connection, None, statement.sql, arguments, None, many)
        return arguments
