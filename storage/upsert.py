"""INSERT for a dialect: PostgreSQL's and SQLite's both know ON CONFLICT (DO NOTHING / DO UPDATE)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(dialect: str, table: Any) -> Any:
    """`INSERT INTO table` that takes `.on_conflict_do_nothing()` or `.on_conflict_do_update()`."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
