"""Every statement an inbound message runs reads through an index, never a whole table.

A message's transaction runs on every webhook, so one statement that scans a table makes each
message cost the size of that table (the outbox holds every reply and broadcast ever sent). The
test records what a whole enrolment executes and asks SQLite for each statement's plan.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bench.enrolment import ENROLMENT
from storage.db import Database, sqlite_file
from tests.support.helpers import Chat

# Tables that hold one row per person, message or reply: these grow with use.
GROWING = {"contact", "conversation", "processed_message", "outbox", "submission", "form_step_event"}


@contextmanager
def statements_run(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        seen.append((statement, parameters[0] if many else parameters))  # one row's values: same plan

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def full_scans(path: str, statements: list[tuple[str, Any]]) -> set[str]:
    """The plan lines that read a whole growing table, with the statement they came from."""
    found: set[str] = set()
    with sqlite3.connect(path) as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")):
                continue
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters or ()).fetchall()
            for row in plan:
                detail = str(row[-1])
                words = detail.split()
                if words[0] == "SCAN" and words[1] in GROWING:
                    found.add(f"{detail}: {' '.join(statement.split())[:200]}")
    return found


async def test_an_enrolment_reads_no_growing_table_whole(db: Database, chat: Chat) -> None:
    if not db.is_sqlite:
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL picks a scan for a table this small")
    path = sqlite_file(db.url)
    assert path is not None
    with statements_run(db) as seen:
        for text in ENROLMENT:
            await chat.say(text)
    assert len(seen) > 13 * 3, "the listener saw the transactions"
    assert full_scans(str(path), seen) == set()


def test_the_check_finds_a_scan(tmp_path: Any) -> None:
    """The check itself: a statement by an unindexed column is reported."""
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, contact_id INTEGER, status TEXT)")
    found = full_scans(str(path), [("UPDATE outbox SET status = ? WHERE contact_id = ?", ("x", 1))])
    assert len(found) == 1 and next(iter(found)).startswith("SCAN outbox")
