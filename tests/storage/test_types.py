"""`storage.types.UTCDateTime` stores a time as SQLAlchemy's SQLite DATETIME does.

Its SQLite bind processor writes the text in one step instead of through SQLAlchemy's general
path. The stored text is what every time comparison in SQL compares (`updated_at < ?`), so it
must be the same text, character for character, as the general path writes, for any time and
offset; and a naive time is still refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.types import UTCDateTime

WIB = timezone(timedelta(hours=7))
TIMES = [
    datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 12, 6, 9, 30, 15, tzinfo=UTC),  # no microseconds: still six digits
    datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=WIB),  # another offset: stored in UTC
    datetime(2027, 1, 1, 6, 0, tzinfo=WIB),  # across midnight and the year in UTC
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),  # the smallest year, zero-padded
    datetime(9999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
]


def _ours(dialect: Dialect) -> Any:
    """The processor SQLAlchemy runs for the column: the type as adapted to the dialect's."""
    return UTCDateTime()._cached_bind_processor(dialect)


def _general_path(dialect: Dialect) -> Any:
    """The processor SQLAlchemy's TypeDecorator builds: process_bind_param, then the impl's."""
    adapted: Any = UTCDateTime().dialect_impl(dialect)
    return TypeDecorator.bind_processor(adapted, dialect)


@pytest.mark.parametrize("value", TIMES, ids=str)
def test_sqlite_text_is_the_general_paths_text(value: datetime) -> None:
    dialect = sqlite.dialect()
    fast, general = _ours(dialect), _general_path(dialect)
    assert fast(value) == general(value)
    assert fast(None) is None


def test_one_processor_writes_each_time_in_turn() -> None:
    """The processor keeps the last time's text: each time, the same object again, and a time
    equal to the last but at another offset, all come out as the general path writes them."""
    dialect = sqlite.dialect()
    fast, general = _ours(dialect), _general_path(dialect)
    same_instant = TIMES[0].astimezone(WIB)
    for value in [TIMES[0], TIMES[0], same_instant, *TIMES, *reversed(TIMES), TIMES[2], TIMES[2]]:
        assert fast(value) == general(value)


def test_a_naive_time_is_refused() -> None:
    fast = _ours(sqlite.dialect())
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 12, 6, 9, 30))


def test_postgresql_keeps_the_general_path() -> None:
    dialect = postgresql.asyncpg.dialect()
    assert UTCDateTime()._cached_bind_processor(dialect) is not None
    fast, general = _ours(dialect), _general_path(dialect)
    value = datetime(2026, 12, 6, 9, 30, tzinfo=WIB)
    assert fast(value) == general(value) == value.astimezone(UTC)
