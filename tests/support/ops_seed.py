"""Realistic data for the operations tests, written by the real engine: finished enrolments, an
unfinished one holding a NIK and a shared phone, a callback request; and a scan of every column of
every table for Fernet tokens, independent of what the rotation thinks it must rotate."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, make_url, select
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table in the metadata)
from handlers.app import build_router
from handlers.engine import Engine
from handlers.turn import Rules
from storage.crypto import Vault
from storage.db import Database
from tests.conftest import TEST_AGENT_CODES
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import Chat, FixedClock
from tests.support.storm import answers

FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]{90,}={0,2}")
DRAFT_NIK = "3526011203900002"
CALLBACK_QUESTION = "saya ojol, kalau kecelakaan di jalan klaimnya gimana"


def nik_of(person: int) -> str:
    return answers(person)[2].replace(" ", "")


def engine_for(db: Database, vault: Vault, clock: FixedClock) -> Engine:
    return Engine(db, build_router(), vault=vault, clock=clock, rules=Rules(agent_codes=TEST_AGENT_CODES))


async def enrol(engine: Engine, person: int) -> None:
    """One whole enrolment by typed answers, on a chat of the person's own."""
    chat = Chat(engine.db, engine, chat_id=f"6281300{person:06d}")
    for line in answers(person):
        await chat.send(line)


@dataclass(frozen=True)
class Seeded:
    people: int
    """Finished enrolments: person n has NIK `nik_of(n)`."""


async def populate(db: Database, vault: Vault, clock: FixedClock, *, people: int = 3) -> Seeded:
    engine = engine_for(db, vault, clock)
    for person in range(people):
        await enrol(engine, person)
    drafting = Chat(db, engine, chat_id="tg-77")  # stops half-way: its answers wait, encrypted
    for line in [*HAPPY[:2], DRAFT_NIK, "Budi Santoso", "12 maret 1990"]:
        await drafting.send(line)
    await drafting.send(kind="contact", phone="+6281311112222")
    caller = Chat(db, engine, chat_id="tg-88")
    for line in ["halo", "minta ditelepon", "0812-3456-7891", "kota madiun", CALLBACK_QUESTION]:
        await caller.send(line)
    return Seeded(people)


async def every_token(db: Database) -> list[tuple[str, str, str]]:
    """(table, column, token) for every Fernet token in any column of any table."""
    found = []
    async with db.reader() as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = list(table.columns)  # all of them: a token could hide anywhere
            query: Any = select(*(cast(c, Text) for c in columns))
            rows = (await session.exec(query)).all()
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    for token in FERNET_TOKEN.findall(value or ""):
                        found.append((table.name, column.name, token))
    return found


def readable_by(vault: Vault, tokens: list[tuple[str, str, str]]) -> dict[Any, int]:
    """How many tokens each of the vault's keys reads (None: no key)."""
    counts: dict[Any, int] = {}
    for _table, _column, token in tokens:
        index = vault.key_index(token)
        counts[index] = counts.get(index, 0) + 1
    return counts


@asynccontextmanager
async def fresh_database(db_url: str, folder: Path, name: str) -> AsyncIterator[str]:
    """A new, empty database of the same kind as `db_url` (PostgreSQL: `<its name>_<name>` on the
    same server, dropped afterwards; SQLite: a file in `folder`)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{folder / (name + '.db')}"
        return
    import asyncpg

    url = make_url(db_url)
    database = f"{url.database}_{name}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    await run(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await run(f'CREATE DATABASE "{database}"')
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        await run(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
