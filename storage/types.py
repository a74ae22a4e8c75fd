"""Column types shared by the tables, and the literal a status is compared with."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """SQLite: the text SQLAlchemy's DATETIME stores ("2026-12-06 09:30:15.123456", in UTC),
        written in one step. The general path (this class's `process_bind_param`, then the
        dialect's formatting from a dict of the parts) was 3% of a message's time, as every
        message binds six to ten times (`tests/storage/test_types.py` holds the text to be the
        same). A message binds the same time (its `now`) to most of its statements: the text of
        the last time written is kept, with that time, and given again for the same object."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        last: tuple[datetime | None, str | None] = (None, None)

        def as_sqlite_text(value: datetime | None) -> str | None:
            nonlocal last
            if value is None:
                return None
            seen, text = last
            if seen is value:
                return text
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last = (value, text)  # one tuple, replaced whole: a reader in another thread sees a pair
            return text

        return as_sqlite_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


_WORD = re.compile(r"[a-z_]+")


def word(value: str) -> ColumnElement[str]:
    """A status or kind written into the statement (`'pending'`), not bound as a parameter.

    For a column that a partial index's condition names (the outbox's and the submission's
    `status`). SQLite can use such an index only when it knows the value compared; with a
    parameter it plans the statement with the bound value in view, and so compiles it again at
    every execution (the release of held messages cost 50 µs instead of 10). PostgreSQL's plan
    for a prepared statement, made once for any parameters, could not use the index at all.
    `tests/storage/test_hot_path_plans.py` finds a parameter compared with such a column."""
    if not _WORD.fullmatch(value):
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'", String)
