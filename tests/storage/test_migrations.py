"""Alembic owns the schema: the models and the migrations agree, and downgrades work."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from storage.migrate import MIGRATIONS, alembic_config, downgrade, upgrade
from storage.schema_version import SCHEMA_HEAD, current_revision, is_up_to_date


async def test_models_match_the_migrations(db: Database) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": False})  # type: ignore[arg-type]
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def _partial(index: Index) -> bool:
    return any(index.dialect_kwargs.get(f"{name}_where") is not None for name in ("sqlite", "postgresql"))


def test_no_index_repeats_the_start_of_another() -> None:
    """A plain index on columns another index (or key, or unique constraint) starts with answers
    nothing the other does not, and costs a write per row: migration 0026 dropped four."""
    repeated = []
    for table in SQLModel.metadata.sorted_tables:
        keys = [("primary key", tuple(table.primary_key.columns.keys()))]
        keys += [
            (str(constraint.name), tuple(constraint.columns.keys()))
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        keys += [
            (str(index.name), tuple(index.columns.keys())) for index in table.indexes if not _partial(index)
        ]
        for index in table.indexes:
            columns = tuple(index.columns.keys())
            if index.unique or _partial(index) or not columns:
                continue
            repeated += [
                f"{table.name}: {index.name} {columns} starts {name} {other}"
                for name, other in keys
                if name != index.name and other[: len(columns)] == columns
            ]
    assert repeated == []


def test_the_service_knows_the_newest_migration() -> None:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head == SCHEMA_HEAD, "a migration was added: set storage.schema_version.SCHEMA_HEAD"


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


def test_migrations_import_nothing_above_storage() -> None:
    """A migration is history: it must run whatever the application around it becomes."""
    above = ("bot", "dashboard", "handlers", "messages")
    imported = []
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported.append((path.name, node.module or ""))
    assert len(imported) > 20  # the walk found the migrations
    assert [(name, module) for name, module in imported if module.split(".")[0] in above] == []


def _reliability() -> ModuleType:
    path = MIGRATIONS / "versions" / "0005_reliability.py"
    spec = importlib.util.spec_from_file_location("reliability_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0005_finds_the_key_where_the_service_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable, then `.env`, then the key the service generated into var/."""
    migration = _reliability()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PII_ENCRYPTION_KEY", raising=False)
    with pytest.raises(RuntimeError, match="PII_ENCRYPTION_KEY"):
        migration._key()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "pii_encryption_key").write_text("generated\n")
    assert migration._key() == "generated"
    (tmp_path / ".env").write_text('DATABASE_URL=x\nPII_ENCRYPTION_KEY="from-dotenv"\n')
    assert migration._key() == "from-dotenv"
    monkeypatch.setenv("PII_ENCRYPTION_KEY", "from-environment")
    assert migration._key() == "from-environment"
