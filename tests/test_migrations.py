"""Alembic owns the schema: the models and the migrations agree, and downgrades work."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from storage.migrate import downgrade, head_revision, upgrade
from storage.schema_version import SCHEMA_HEAD, current_revision, is_up_to_date


async def test_models_match_the_migrations(db: Database) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": False})  # type: ignore[arg-type]
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_the_service_knows_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_HEAD, "a migration was added: set storage.schema_version.SCHEMA_HEAD"


async def test_the_start_up_check_reads_the_recorded_revision(db: Database, db_url: str) -> None:
    assert await is_up_to_date(db.engine)
    await asyncio.to_thread(downgrade, db_url, "-1")
    assert await current_revision(db.engine) not in (None, SCHEMA_HEAD)
    assert not await is_up_to_date(db.engine)
    await asyncio.to_thread(downgrade, db_url, "base")
    assert await current_revision(db.engine) is None
    await asyncio.to_thread(upgrade, db_url)
    assert await is_up_to_date(db.engine)


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    downgrade(db_url, "base")
    upgrade(db_url)
