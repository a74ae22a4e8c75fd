"""Shared fixtures: a real, migrated database (SQLite file, or PostgreSQL by TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import bot.channels.telegram  # noqa: F401  (aiogram as the service loads it, before a test imports it)
import dashboard.service.accounts as _accounts
from handlers.app import build_router
from handlers.attribution import load_agent_codes
from handlers.engine import Engine
from handlers.turn import Rules
from storage.db import Database
from storage.migrate import upgrade
from tests.support.helpers import VAULT, Chat, FixedClock, asyncpg_dsn

# Argon2 with cheap parameters in this process: the same hashing and checking code, without the
# production cost (64 MiB, three passes: ~140 ms a hash) on the hundreds of accounts and log-ins
# the tests make. A hash keeps its own parameters, so checking works across both. Processes the
# end-to-end tests start (`bpu-bot serve`) keep the production parameters.
_accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_accounts._DUMMY_HASH = _accounts._hasher.hash("a password nobody has")


def _this_workers_database(url: str | None) -> str | None:
    """The PostgreSQL database of this pytest process: TEST_DATABASE_URL's own, or under
    pytest-xdist (the fast run, tests/run_suites.py) one per worker: `test` becomes `test_gw0`,
    `test_gw1`, made on first use by `_pg_migrated`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or worker is None:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


SHARED_PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_URL = _this_workers_database(SHARED_PG_URL)
# Agent codes that exist for the tests (the shipped messages/agents.toml lists none).
TEST_AGENT_CODES = load_agent_codes(Path(__file__).parent / "data" / "agent_codes.toml")
RUN_SLOW = os.environ.get("CI", "").lower() == "true" or os.environ.get("RUN_SLOW") == "1"
"""The slow tests (processes, load, storms) run in CI (CI=true) and by `make test-all`."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fast tests first; the slow ones last, and only when asked for."""
    skip = pytest.mark.skip(reason="slow: runs when CI=true (.ci/run) or by `make test-all`")
    fast = [item for item in items if "slow" not in item.keywords]
    slow = [item for item in items if "slow" in item.keywords]
    if not RUN_SLOW:
        for item in slow:
            item.add_marker(skip)
    items[:] = fast + slow


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_migrated() -> str:
    assert PG_URL and SHARED_PG_URL
    import asyncpg

    async def reset() -> None:
        if PG_URL != SHARED_PG_URL:
            await _create_database(SHARED_PG_URL, PG_URL)
        conn = await asyncpg.connect(asyncpg_dsn(PG_URL))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await conn.close()

    asyncio.run(reset())
    upgrade(PG_URL)
    return PG_URL


async def _create_database(shared_url: str, url: str) -> None:
    """Makes the database `url` names unless it exists, connected through `shared_url`'s."""
    import asyncpg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    conn = await asyncpg.connect(asyncpg_dsn(shared_url))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def _pg_emptier(_pg_migrated: str) -> Iterator[Callable[[], None]]:
    """Empties this worker's database before a test, through one connection kept for the whole
    run on an event loop of its own (a new connection per test cost about 25 ms: a server
    process to start and its catalogue caches to fill)."""
    import asyncpg

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(asyncpg_dsn(_pg_migrated)))
    yield lambda: loop.run_until_complete(conn.execute(_EMPTY_PG))
    loop.run_until_complete(conn.close())
    loop.close()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if PG_URL:
        request.getfixturevalue("_pg_emptier")()
        yield PG_URL
    else:
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "bpu.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"


_EMPTY_PG = """
DO $$
DECLARE
    r record;
    used text := '';
    found boolean;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables
             WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', r.tablename) INTO found;
        IF found THEN
            used := used || CASE WHEN used = '' THEN '' ELSE ', ' END || quote_ident(r.tablename);
        END IF;
    END LOOP;
    IF used <> '' THEN
        EXECUTE 'TRUNCATE ' || used || ' CASCADE';
    END IF;
    FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', r.sequencename);
    END LOOP;
END $$;
"""
"""Empties the tables a test wrote to and restarts every used id sequence: one round trip,
a few times faster than truncating every table (most tests touch a handful)."""


async def _truncate_pg(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_EMPTY_PG)
    finally:
        await conn.close()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))


@pytest.fixture
def native_forms() -> frozenset[str]:
    """Channels whose native form the test engine offers: none, unless a module says so."""
    return frozenset()


@pytest.fixture
def engine(db: Database, clock: FixedClock, native_forms: frozenset[str]) -> Engine:
    rules = Rules(agent_codes=TEST_AGENT_CODES, native_forms=native_forms)
    return Engine(db, build_router(), vault=VAULT, clock=clock, rules=rules)


@pytest.fixture
def chat(db: Database, engine: Engine) -> Chat:
    return Chat(db, engine)
