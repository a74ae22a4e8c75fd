"""How long a round of payment reminders takes for many registered workers.

    .venv/bin/python -m bench.reminders [--workers 10000] [--postgres URL]

Seeds terdaftar workers (contact, submission, coverage) whose "paid until" spreads over a year,
then times `bpu-bot reminders preview` for one day (the plan: every worker's due date and
standing) and one scheduler round that queues the messages, and a second round (which must send
nothing). Runs on SQLite, then on PostgreSQL when `--postgres` (or BENCH_POSTGRES_URL) names a
database it may wipe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import select

from bench.broadcast import databases
from dashboard.service.payment_reminders import preview, send_payment_reminders
from handlers.dues import month_end
from handlers.localtime import QuietHours
from storage.coverage_models import Coverage
from storage.crypto import Vault
from storage.db import Database
from storage.dues_models import PaymentNotice
from storage.models import Contact, Submission

NOW = datetime(2027, 1, 12, 3, 0, tzinfo=UTC)  # 10:00 WIB, three days before 15 January
QUIET = QuietHours.parse("21:00-07:00")


async def seed(db: Database, workers: int, vault: Vault) -> None:
    income = vault.encrypt("1500000")
    chunk = 2000
    for start in range(0, workers, chunk):
        async with db.transaction() as session:
            contacts = [
                Contact(channel="telegram" if n % 2 else "whatsapp", chat_id=f"62813{n:08d}", created_at=NOW)
                for n in range(start, min(start + chunk, workers))
            ]
            session.add_all(contacts)
            await session.flush()
            submissions = [
                Submission(
                    reference=f"B{n:07d}",
                    status="terdaftar",
                    branch_code="KC-MADIUN",
                    channel=c.channel,
                    contact_id=c.id,
                    consent_version="bench",
                    consent_at=NOW,
                    regency_code="35.77",
                    occupation="pedagang",
                    income_band="1-2jt",
                    reported_income_enc=income,
                    programs="jkk_jkm",
                    monthly_contribution=21_800,
                    payment_months=(1, 3, 6, 12)[n % 4],
                    period_total=21_800,
                )
                for n, c in zip(range(start, start + len(contacts)), contacts, strict=True)
            ]
            session.add_all(submissions)
            await session.flush()
            for n, s in zip(range(start, start + len(submissions)), submissions, strict=True):
                assert s.id is not None
                # One in twelve paid to December (reminded for 15 January), one in twenty to
                # October (behind: asked why), the rest paid ahead.
                months = 11 if n % 20 == 1 else 12 + n % 12
                paid = month_end(date(2026, 1, 1) + timedelta(days=31 * (months - 1)))
                session.add(
                    Coverage(
                        submission_id=s.id,
                        branch_code="KC-MADIUN",
                        kpj=f"{n:011d}",
                        registered_on=date(2025, 12, 1),
                        period_months=s.payment_months,
                        paid_until=paid,
                        paid_until_source="import",
                        updated_at=NOW,
                    )
                )


async def measure(url: str, workers: int, vault: Vault) -> str:
    db = Database(url)
    try:
        await seed(db, workers, vault)
        if url.startswith("postgresql"):
            async with db.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        started = time.monotonic()
        lines = await preview(db, NOW.date())
        planned = time.monotonic() - started
        started = time.monotonic()
        await send_payment_reminders(db, NOW, vault=vault, quiet=QUIET)
        first = time.monotonic() - started
        started = time.monotonic()
        await send_payment_reminders(db, NOW + timedelta(minutes=10), vault=vault, quiet=QUIET)
        second = time.monotonic() - started
        async with db.reader() as session:
            sent = (await session.exec(select(func.count()).select_from(PaymentNotice))).one()
        return (
            f"{workers:,} workers: preview {planned:.1f} s ({len(lines):,} lines); first round "
            f"{first:.1f} s ({sent:,} messages queued); second round {second:.1f} s"
        )
    finally:
        await db.dispose()


def main() -> None:
    from cryptography.fernet import Fernet

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=10_000, help="registered workers to seed")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"), help="a database to wipe")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    options = parser.parse_args()
    vault = Vault(Fernet.generate_key().decode())
    for name, url in databases(options.postgres, options.no_sqlite):
        print(f"{name}:", asyncio.run(measure(url, options.workers, vault)), flush=True)


if __name__ == "__main__":
    main()
