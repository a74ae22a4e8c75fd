"""Whether a database carries the schema this code expects, without loading Alembic.

`bpu-bot serve` checks this once at start-up; Alembic (with Mako and its dialect modules, about
35 MB) is needed only to migrate, so the running service does not import it. `SCHEMA_HEAD` names
the newest migration; tests/storage/test_migrations.py fails when a migration is added without it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

SCHEMA_HEAD = "0026"


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision Alembic recorded in the database, or None before the first migration."""
    async with engine.connect() as connection:
        try:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no alembic_version table: never migrated
            return None
        versions = found.scalars().all()
    return versions[0] if len(versions) == 1 else None


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == SCHEMA_HEAD
