"""Alembic owns the schema: the models and the migrations agree, and downgrades work."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from storage.migrate import downgrade, upgrade


async def test_models_match_the_migrations(db: Database) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": False})  # type: ignore[arg-type]
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    downgrade(db_url, "base")
    upgrade(db_url)
