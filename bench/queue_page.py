"""The staff queue under load: 1,000,000 submissions, timed over HTTP on SQLite and PostgreSQL.

Seeds the database with bulk inserts (not the engine: a million enrolments through the
conversation would take hours), starts `bpu-bot serve` on it, and times, as a staff officer of
the busiest branch (a tenth of all rows):

  queue page     GET /api/v1/submissions                 oldest first, 50 rows, status counts
  next page      the same with the cursor of page 1
  filter         status=baru & overdue, and flag=age_over_limit
  NIK search     q=<a NIK of the branch>                  through the keyed hash
  page (HTML)    GET /staff                               the staff page, logged in: open
                                                          statuses, oldest promise first
  page 20 (HTML) GET /staff?halaman=20                    the same, rows 951-1,000 (offset)
  by status      GET /staff?status=semua&urut=status      every status, sorted along the graph
  one officer    GET /staff?petugas=bench                 the tabs counted under the filter

Prints p50 and p95 per case. Target: p95 ≤ 50 ms. Asserts nothing (machines differ).

    .venv/bin/python -m bench.queue_page                       # SQLite, then PostgreSQL if set
    .venv/bin/python -m bench.queue_page --rows 100000 --requests 100
    BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.queue_page

The PostgreSQL database named by BENCH_PG_URL is emptied (schema dropped) first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.channels.registry import catalogue
from dashboard.service import Backoffice
from handlers.branches import branch_map
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact

TARGET_MS = 50.0
BUSY = "KC-MADIUN"
PASSWORD = "bangku-taman-kota-lama"
STATUSES = ("baru", "diproses", "dihubungi", "terdaftar", "ditolak", "dibatalkan")
# Older sign-ups are mostly finished; the last weeks are mostly waiting.
OLD_MIX = (0.03, 0.04, 0.08, 0.65, 0.15, 0.05)
NEW_MIX = (0.55, 0.2, 0.15, 0.07, 0.02, 0.01)
BATCH = 20_000


def nik_of(n: int) -> str:
    return f"35{n:014d}"


def phone_of(n: int) -> str:
    return f"+628{n:010d}"


def rows_of(vault: Vault, rows: int, contact_id: int) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Each row's column values, and its NIK when it is one of BUSY's sampled for the search."""
    rng = random.Random(7)
    branches = [code for code in branch_map().branches if code != BUSY]
    names = [vault.encrypt(f"Pekerja Nomor {i}") for i in range(200)]
    nik_enc, phone_enc, address_enc, income_enc = (
        vault.encrypt(v) for v in ("3577014708850001", "+6281234567890", "Jl. Merpati 12", "1500000")
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 20, tzinfo=UTC) - start).total_seconds()
    switch = datetime(2026, 10, 1, tzinfo=UTC)
    sampled = 0
    for n in range(rows):
        created = start + timedelta(seconds=span * n / rows)
        status = rng.choices(STATUSES, NEW_MIX if created > switch else OLD_MIX)[0]
        branch = BUSY if n % 10 == 0 else branches[n % len(branches)]
        sample = None
        if branch == BUSY and sampled < 2_000 and rng.random() < 0.05:
            sample, sampled = nik_of(n), sampled + 1
        yield (
            {
                "reference": f"B{n:09d}",
                "status": status,
                "branch_code": branch,
                "channel": "whatsapp" if n % 3 else "telegram",
                "contact_id": contact_id,
                "attribution_code": f"S{n % 40:03d}" if n % 7 == 0 else None,
                "consent_version": "2026-11-21.1",
                "consent_at": created,
                "nik_enc": nik_enc,
                "nik_hash": vault.keyed_hash(nik_of(n)),
                "full_name_enc": names[n % len(names)],
                "birth_date": date(1960 + n % 45, 1 + n % 12, 1 + n % 28),
                "sex": "LP"[n % 2],
                "phone_enc": phone_enc,
                "phone_hash": vault.phone_hash(phone_of(n)),
                "email_enc": None,
                "address_enc": address_enc,
                "regency_code": "35.77",
                "regency_name": "Kota Madiun",
                "district_code": f"35.77.0{1 + n % 3}",
                "district_name": ("Kartoharjo", "Manguharjo", "Taman")[n % 3],
                "occupation": ("pedagang", "ojek", "petani", "nelayan", "lainnya")[n % 5],
                "occupation_other": None,
                "income_enc": income_enc,
                "income_band": "1-2jt",
                "reported_income_enc": income_enc,
                "programs": "jkk_jkm_jht" if n % 2 else "jkk_jkm",
                "monthly_contribution": 40_900,
                "payment_months": 3,
                "period_total": 133_600,
                "flags": '["age_over_limit"]' if n % 31 == 0 else "[]",
                "answers": "{}",
                "kpj_number": None,
                "rejection_reason": None,
                "subsidy_candidate": False,
                "anonymised_at": None,
                "created_at": created,
                "updated_at": created,
                "call_by": (created + timedelta(days=5)).date(),
                "version": 0,
            },
            sample,
        )


async def seed(db: Database, vault: Vault, rows: int) -> list[str]:
    """Inserts `rows` submissions in bulk (a tenth in BUSY); returns a sample of BUSY's NIKs.

    SQLite: executemany on the driver's connection; PostgreSQL: COPY. Both in batches.
    """
    async with db.transaction() as session:
        contact = Contact(channel="bench", chat_id="bench")
        session.add(contact)
        await session.flush()
        contact_id = contact.id or 0
    sample: list[str] = []
    batch: list[tuple[Any, ...]] = []
    columns: list[str] = []
    done = 0

    async def flush() -> None:
        nonlocal done
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            if db.is_sqlite:
                marks = ", ".join("?" for _ in columns)
                await driver.execute("BEGIN IMMEDIATE")
                await driver.executemany(
                    f"INSERT INTO submission ({', '.join(columns)}) VALUES ({marks})", batch
                )
                await driver.commit()
            else:
                await driver.copy_records_to_table("submission", records=batch, columns=columns)
        done += len(batch)
        batch.clear()
        if done % 100_000 == 0 or done == rows:
            print(f"  seeded {done:,} rows", file=sys.stderr, flush=True)

    for values, nik in rows_of(vault, rows, contact_id):
        if nik:
            sample.append(nik)
        if not columns:
            columns = list(values)
        batch.append(tuple(_sqlite(v) if db.is_sqlite else v for v in values.values()))
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    async with db.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return sample


def _sqlite(value: Any) -> Any:
    """Values as SQLAlchemy stores them in SQLite: naive UTC datetimes as text, dates as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


@contextmanager
def serving(database_url: str, key: str, workdir: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env |= {
        "DATABASE_URL": database_url,
        "PII_ENCRYPTION_KEY": key,
        "SECRET_KEY": "bench-secret",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(
    client: httpx.Client, requests: int, path: str, params: list[dict[str, str]] | None = None
) -> tuple[float, float]:
    """(p50, p95) in milliseconds of `requests` sequential GETs, after 5 warm-up calls."""
    choices = params or [{}]
    for i in range(5):
        client.get(path, params=choices[i % len(choices)]).raise_for_status()
    times = []
    for i in range(requests):
        started = time.perf_counter()
        answer = client.get(path, params=choices[i % len(choices)])
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[94]


def staff_page_client(base: str) -> httpx.Client | None:
    """A client logged in to the staff pages, or None when the pages are not there."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        client.close()
        return None
    client.post(
        "/staff/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def run_backend(
    label: str, database_url: str, rows: int, requests: int
) -> list[tuple[str, str, float, float]]:
    key = Fernet.generate_key().decode()
    vault = Vault(key)
    print(f"{label}: migrating and seeding {rows:,} submissions", file=sys.stderr, flush=True)
    upgrade(database_url)

    async def prepare() -> tuple[list[str], str]:
        db = Database(database_url)
        try:
            started = time.perf_counter()
            sample = await seed(db, vault, rows)
            print(f"  seeding took {time.perf_counter() - started:.0f} s", file=sys.stderr)
            office = Backoffice(db, vault, catalogue())
            await office.add_account("bench", "bench", PASSWORD, role="staff", branch=BUSY)
            return sample, await office.issue_token("bench", "bench")
        finally:
            await db.dispose()

    sample, token = asyncio.run(prepare())
    results = []
    with tempfile.TemporaryDirectory() as workdir, serving(database_url, key, Path(workdir)) as base:
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        first = api.get("/api/v1/submissions").json()
        cases: list[tuple[str, str, list[dict[str, str]] | None]] = [
            ("queue page", "/api/v1/submissions", None),
            ("next page", "/api/v1/submissions", [{"cursor": first["next"]}]),
            ("filter: baru, overdue", "/api/v1/submissions", [{"status": "baru", "overdue": "true"}]),
            ("filter: age flag", "/api/v1/submissions", [{"flag": "age_over_limit"}]),
            ("NIK search", "/api/v1/submissions", [{"q": nik} for nik in sample]),
        ]
        for name, path, params in cases:
            p50, p95 = timed(api, requests, path, params)
            results.append((label, name, p50, p95))
        pages = staff_page_client(base)
        if pages is not None:
            p50, p95 = timed(pages, requests, "/staff")
            results.append((label, "queue page (HTML)", p50, p95))
            p50, p95 = timed(pages, requests, "/staff", [{"cari": nik} for nik in sample])
            results.append((label, "NIK search (HTML)", p50, p95))
            for name, query in (
                ("page 20 (HTML)", {"halaman": "20"}),
                ("by status (HTML)", {"status": "semua", "urut": "status"}),
                ("one officer (HTML)", {"petugas": "bench"}),
            ):
                p50, p95 = timed(pages, requests, "/staff", [query])
                results.append((label, name, p50, p95))
            pages.close()
        api.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, args.requests)
    if args.pg_url and not args.sqlite_only:
        asyncio.run(_reset_pg(args.pg_url))
        results += run_backend("PostgreSQL", args.pg_url, args.rows, args.requests)
    print(f"\n{args.rows:,} submissions, {args.requests} sequential requests per case")
    print(f"target: p95 ≤ {TARGET_MS:.0f} ms")
    print(f"{'backend':<11} {'case':<24} {'p50 ms':>8} {'p95 ms':>8}")
    for backend, name, p50, p95 in results:
        mark = "" if p95 <= TARGET_MS else "  over target"
        print(f"{backend:<11} {name:<24} {p50:>8.1f} {p95:>8.1f}{mark}")


async def _reset_pg(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
