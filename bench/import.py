"""Import of registrations under load: 10,000 rows previewed and applied while people enrol.

    .venv/bin/python -m bench.import                                  # SQLite (and PostgreSQL if set)
    .venv/bin/python -m bench.import --rows 10000 --people 8
    BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.import

For each database (a fresh SQLite file; the PostgreSQL database named by BENCH_PG_URL, emptied
first: its schema is dropped) it seeds `--rows` sign-ups of one branch by bulk insert, writes
the file the branch's system would export (half the rows name our reference, half the NIK;
every one `terdaftar` with a KPJ, a registration date and "paid until"), and then, in one process
and one event loop as the service runs them:

1. `--people` people enrol through the real conversation engine (the 13 messages each, over and
   over), and each message's handling time is recorded: the webhooks' view;
2. the import runs as an officer runs it: the preview (dry run), the apply (every row changes:
   status, history, coverage, notification, audit), then the same file applied again (nothing
   changes).

It prints the wall time of each import step and the enrolment messages' p50 / p99 / max while
it ran, next to the same figures with no import running. Asserts nothing: machines differ.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from bench.enrolment import ENROLMENT
from bot.channels.registry import catalogue
from dashboard.service import Access, Backoffice
from dashboard.service.imports import Importer
from handlers.app import build_router
from handlers.engine import Engine
from handlers.turn import Rules
from handlers.types import Inbound
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact, Submission, income_band
from storage.types import utcnow

BRANCH = "KC-MADIUN"
BATCH = 2_000
_ids = itertools.count(1)


def nik(n: int) -> str:
    return f"3577014{n:09d}"


async def seed(db: Database, vault: Vault, rows: int) -> list[str]:
    """`rows` sign-ups of BRANCH, each with a Telegram contact; returns their references."""
    at = utcnow() - timedelta(days=20)
    references = [f"B{n:07d}"[:4] + "-" + f"B{n:07d}"[4:] for n in range(rows)]
    for start in range(0, rows, BATCH):
        span = range(start, min(rows, start + BATCH))
        async with db.transaction() as session:
            connection = await session.connection()
            contacts = [
                {"channel": "telegram", "chat_id": str(9_000_000 + n), "language": "id", "created_at": at}
                for n in span
            ]
            await connection.execute(insert(Contact.__table__), contacts)  # type: ignore[attr-defined]
            table = Contact.__table__  # type: ignore[attr-defined]
            chats = [c["chat_id"] for c in contacts]
            found = await session.execute(
                select(table.c.id, table.c.chat_id).where(table.c.chat_id.in_(chats))
            )
            contact_of = {chat: cid for cid, chat in found.all()}
            submissions: list[dict[str, Any]] = [
                {
                    "reference": references[n],
                    "status": ("baru", "diproses", "dihubungi")[n % 3],
                    "branch_code": BRANCH,
                    "channel": "telegram",
                    "contact_id": contact_of[str(9_000_000 + n)],
                    "consent_version": "2026-11-21.1",
                    "consent_at": at,
                    "nik_enc": vault.encrypt(nik(n)),
                    "nik_hash": vault.keyed_hash(nik(n)),
                    "full_name_enc": vault.encrypt(f"Peserta {n}"),
                    "birth_date": date(1985, 8, 7),
                    "occupation": "pedagang",
                    "income_band": income_band(1_500_000),
                    "programs": "jkk_jkm",
                    "monthly_contribution": 16_800,
                    "payment_months": 3,
                    "period_total": 50_400,
                    "flags": [],
                    "answers": {},
                    "created_at": at,
                    "updated_at": at,
                    "version": 0,
                    "subsidy_candidate": False,
                }
                for n in span
            ]
            await connection.execute(insert(Submission.__table__), submissions)  # type: ignore[attr-defined]
    return references


def registrations_csv(references: list[str]) -> bytes:
    registered = (utcnow() - timedelta(days=5)).date()
    lines = ["reference;nik;status;kpj;registered_on;paid_until;note"]
    for n, reference in enumerate(references):
        ident = f"{reference};" if n % 2 == 0 else f";{nik(n)}"
        paid = registered + timedelta(days=89)
        lines.append(f"{ident};terdaftar;{21_000_000_000 + n};{registered.isoformat()};{paid.isoformat()};")
    return ("\n".join(lines) + "\n").encode()


class Enrolments:
    """`people` people enrolling over and over through the engine, timing every message."""

    def __init__(self, db: Database, vault: Vault, people: int) -> None:
        self.engine = Engine(
            db, build_router(), vault=vault, clock=utcnow, rules=Rules(agent_codes=frozenset())
        )
        self.people = people
        self.timings: list[tuple[float, float]] = []  # (ended at, seconds)
        self.stop = asyncio.Event()

    async def person(self, who: int) -> None:
        for round_no in itertools.count():
            chat = f"62813{who:03d}{round_no:05d}"
            for step, text in enumerate(ENROLMENT):
                if self.stop.is_set():
                    return
                if step == 2:
                    text = f"3578{who:03d}{round_no:09d}"[:16]
                inbound = Inbound(
                    channel="telegram", chat_id=chat, message_id=f"b{next(_ids)}", at=utcnow(), text=text
                )
                began = time.perf_counter()
                await self.engine.handle(inbound)
                ended = time.perf_counter()
                self.timings.append((ended, ended - began))

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for at, seconds in self.timings if start <= at <= end]


def summary(values: list[float]) -> str:
    if not values:
        return "no messages"
    ms = sorted(v * 1000 for v in values)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{len(ms):>5} msgs  p50 {statistics.median(ms):7.1f}  p99 {p99:7.1f}  max {ms[-1]:7.1f} ms"


async def run_backend(label: str, url: str, rows: int, people: int) -> list[str]:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    vault = Vault(Fernet.generate_key().decode())
    try:
        began = time.perf_counter()
        references = await seed(db, vault, rows)
        seeded = time.perf_counter() - began
        content = registrations_csv(references)
        office = Backoffice(db, vault, catalogue())
        importer = Importer(office)
        operator = Access.operator("bench")
        load = Enrolments(db, vault, people)
        tasks = [asyncio.create_task(load.person(p)) for p in range(people)]
        out = [f"{label}: {rows:,} sign-ups seeded in {seeded:.1f} s; file {len(content) / 1024:.0f} KiB"]
        await asyncio.sleep(3.0)  # the enrolments alone, for comparison
        quiet_from = time.perf_counter()
        await asyncio.sleep(3.0)
        quiet = summary(load.between(quiet_from, time.perf_counter()))
        out.append(f"  {'no import':<18} {'':>8}   enrolment {quiet}")
        for step, dry_run in (("preview", True), ("apply", False), ("apply again", False)):
            start = time.perf_counter()
            report = await importer.run(operator, content, "bench.csv", dry_run=dry_run)
            end = time.perf_counter()
            counts = f"{report.applied} ok/{report.changed} changed"
            during = summary(load.between(start, end))
            out.append(f"  {step:<18} {end - start:>6.2f} s   enrolment {during}   ({counts})")
        load.stop.set()
        await asyncio.gather(*tasks)
        return out
    finally:
        await db.dispose()


async def _reset_pg(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=8, help="People enrolling meanwhile.")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"))
    args = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lines += asyncio.run(
            run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, args.people)
        )
    if args.pg_url:
        asyncio.run(_reset_pg(args.pg_url))
        lines += asyncio.run(run_backend("PostgreSQL", args.pg_url, args.rows, args.people))
    else:
        lines.append("BENCH_PG_URL is not set: PostgreSQL is not measured")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
