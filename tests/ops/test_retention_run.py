"""`bpu-bot purge [--dry-run]` runs the retention the schedule runs; a dry run counts and changes
nothing; every run is recorded, and /healthz and /metrics say when it last ran and what it removed."""

from __future__ import annotations

from datetime import timedelta

import httpx
from cryptography.fernet import Fernet
from sqlmodel import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.housekeeping import tidy
from bot.retention import apply_retention
from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from storage.chat_models import ChatMessage
from storage.db import Database
from storage.models import CallbackRequest, Contact, Conversation, OutboxMessage, Submission
from storage.ops_models import RetentionRun
from tests.support.helpers import VAULT, FixedClock
from tests.support.ops_seed import every_token, populate

YEARS_LATER = timedelta(days=round(365.25 * 5) + 30)
_KEY = Fernet.generate_key().decode()


async def snapshot(db: Database) -> tuple[object, ...]:
    async with db.reader() as session:
        counts = [
            (await session.exec(select(func.count()).select_from(model))).one()
            for model in (
                Submission,
                Contact,
                Conversation,
                OutboxMessage,
                CallbackRequest,
                RetentionRun,
                ChatMessage,
            )
        ]
    return (*counts, sorted(await every_token(db)))


async def test_a_dry_run_counts_what_the_run_then_removes_and_changes_nothing(
    db: Database, clock: FixedClock
) -> None:
    await populate(db, VAULT, clock, people=2)
    later = clock() + YEARS_LATER
    before = await snapshot(db)
    counted = await apply_retention(db, later, draft_expiry_days=7, trigger="command", dry_run=True)
    assert await snapshot(db) == before
    assert counted["submissions_anonymised"] == 2 and counted["callbacks_erased"] == 1
    assert (
        counted["drafts_expired"] == 1
        and counted["contacts_cleared"] >= 1
        and counted["messages_deleted"] > 0
        and counted["chat_messages_deleted"] > 0  # the conversation kept for officers
    )

    removed = await apply_retention(db, later, draft_expiry_days=7, trigger="command")
    assert removed == counted
    async with db.reader() as session:
        callback = (await session.exec(select(CallbackRequest))).one()
        runs = (await session.exec(select(RetentionRun))).all()
    assert (callback.phone_enc, callback.question_enc) == (None, None) and callback.status == "baru"
    assert [(r.trigger, r.removed) for r in runs] == [("command", removed)]
    again = await apply_retention(db, later + timedelta(hours=1), draft_expiry_days=7, trigger="command")
    assert set(again.values()) == {0}  # nothing is removed twice, nor counted twice


async def test_the_schedule_records_its_runs_and_health_reports_the_latest(
    db: Database, db_url: str, clock: FixedClock
) -> None:
    await populate(db, VAULT, clock, people=1)
    service = build_service(load_settings(database_url=db_url, pii_encryption_key=_KEY))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(service)), base_url="http://bot.test"
    )
    try:
        assert (await client.get("/healthz")).json()["retention"] == {"last_run": None}
        await tidy(db, clock() + YEARS_LATER, draft_expiry_days=7)
        health = (await client.get("/healthz")).json()["retention"]
        metrics = (await client.get("/metrics")).text
    finally:
        await client.aclose()
        await service.db.dispose()
    assert health["trigger"] == "schedule" and health["removed"]["submissions_anonymised"] == 1
    assert health["last_run"].startswith((clock() + YEARS_LATER).date().isoformat())
    stamp = (clock() + YEARS_LATER).timestamp()
    line = next(x for x in metrics.splitlines() if x.startswith("bpu_retention_last_run_timestamp_seconds "))
    assert abs(float(line.split()[1]) - stamp) < 5


def test_purge_from_the_command_line(db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "PII_ENCRYPTION_KEY": _KEY, "SECRET_KEY": "test-secret"}
    dry = CliRunner().invoke(app, ["purge", "--dry-run"], env=env)
    assert dry.exit_code == 0 and "would remove\tsubmissions_anonymised\t0" in dry.stdout, dry.output
    assert "5 years" in dry.stdout and "nothing changed" in dry.stdout
    done = CliRunner().invoke(app, ["purge"], env=env)
    assert done.exit_code == 0 and "removed\tdrafts_expired\t0" in done.stdout, done.output
