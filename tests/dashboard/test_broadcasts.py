"""Broadcast audiences, pause, resume and cancel as outbox scheduling, progress, and the funnel's
small-count suppression, on the real database (the sending itself: test_broadcast_load.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from bot.channels.whatsapp.render import template_parameter
from dashboard.service import broadcasts
from dashboard.service.broadcasts import TEMPLATE, Audience, audience, outbox
from dashboard.service.funnel import Funnel
from dashboard.service.sessions import Invalid
from handlers.localtime import QuietHours
from storage.db import Database
from storage.models import Contact, OutboxMessage, Submission
from tests.support.backoffice_helpers import CATALOGUE

QUIET = QuietHours.parse("21:00-07:00")
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB


async def people(db: Database) -> None:
    rows = [
        # channel, chat, opted in, regency
        ("telegram", "1", True, "35.77"),
        ("whatsapp", "62811", True, "35.77"),
        ("telegram", "2", False, "35.77"),  # said stop
        ("telegram", "3", True, "35.26"),  # Bangkalan: another branch
        ("console", "4", True, "35.77"),  # a channel that cannot broadcast
        ("telegram", "5", True, None),  # regency unknown
    ]
    async with db.transaction() as session:
        await session.exec(
            insert(Contact),
            params=[
                {"channel": c, "chat_id": chat, "announcements": on, "regency_code": r, "created_at": NOW}
                for c, chat, on, r in rows
            ],
        )


async def outbox_statuses(db: Database) -> list[str]:
    async with db.reader() as session:
        return list((await session.exec(select(OutboxMessage.status).order_by(col(OutboxMessage.id)))).all())


async def test_audience_by_branch_channel_and_stage(db: Database) -> None:
    await people(db)
    madiun = await broadcasts.count_recipients(db, Audience(), "KC-MADIUN", CATALOGUE)
    assert madiun == {"total": 2, "telegram": 1, "whatsapp": 1}
    everyone = await broadcasts.count_recipients(db, Audience(channels=("telegram",)), None, CATALOGUE)
    assert everyone == {"total": 3, "telegram": 3}
    assert (await broadcasts.count_recipients(db, Audience(stage="submitted"), None, CATALOGUE))["total"] == 0
    assert (await broadcasts.count_recipients(db, Audience(stage="never"), "KC-MADIUN", CATALOGUE))[
        "total"
    ] == 2
    with pytest.raises(Invalid):
        Audience.from_dict({"stage": "kemarin"})
    with pytest.raises(Invalid):
        Audience.from_dict({"step": "nik"})
    assert Audience.from_dict(Audience(regencies=("35.77",)).to_dict()) == Audience(regencies=("35.77",))
    with pytest.raises(Invalid):
        await broadcasts.count_recipients(db, Audience(channels=("console",)), None, CATALOGUE)
    assert "Balas STOP" in broadcasts.previews("Sosialisasi Selasa.", CATALOGUE)["telegram"]


def test_the_stop_line_is_said_once_on_every_channel() -> None:
    """WhatsApp's approved broadcast template ends with its own stop line: the text it carries does not."""
    shown = broadcasts.previews("Sosialisasi Selasa.", CATALOGUE)
    assert set(shown) == {"telegram", "whatsapp", TEMPLATE}
    assert all(page.count("Balas STOP") == 1 for page in shown.values()), shown
    carried = template_parameter(broadcasts.broadcast_payload("Sosialisasi Selasa.\nDi balai desa."))
    assert carried == "Sosialisasi Selasa. · Di balai desa."


async def test_pause_resume_cancel_and_progress(db: Database) -> None:
    await people(db)
    sent = await broadcasts.create_broadcast(
        db,
        text="Sosialisasi Selasa.",
        audience=Audience(),
        actor="ani",
        branch="KC-MADIUN",
        now=NOW,
        channels=CATALOGUE,
    )
    assert sent.id is not None
    woken = await broadcasts.tick(db, NOW, QUIET)
    assert woken == {"telegram", "whatsapp"}  # the channels whose senders have rows to take
    assert await outbox_statuses(db) == ["pending", "pending"]
    assert await broadcasts.pause(db, sent.id, NOW)
    assert await outbox_statuses(db) == ["held", "held"]
    await broadcasts.tick(db, NOW, QUIET)
    assert await outbox_statuses(db) == ["held", "held"]  # paused rows stay held
    assert await broadcasts.resume(db, sent.id, NOW, QUIET)
    assert await outbox_statuses(db) == ["pending", "pending"]
    assert await broadcasts.cancel(db, sent.id, NOW)
    assert await outbox_statuses(db) == ["cancelled", "cancelled"]
    assert not await broadcasts.resume(db, sent.id, NOW, QUIET)
    progress = await broadcasts.progress(db, sent.id, {"KC-MADIUN"})
    assert progress is not None and progress.as_dict()["cancelled"] == 2 and progress.status == "cancelled"
    assert await broadcasts.progress(db, sent.id, {"KC-MADURA"}) is None  # another branch's


async def test_scheduled_broadcast_waits_for_its_time_and_quiet_hours(db: Database) -> None:
    await people(db)
    later = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 21:30 WIB
    planned = await broadcasts.create_broadcast(
        db,
        text="Besok ada sosialisasi.",
        audience=Audience(),
        actor="ani",
        branch="KC-MADIUN",
        now=NOW,
        channels=CATALOGUE,
        send_at=later,
    )
    assert planned.status == "scheduled"
    await broadcasts.tick(db, NOW, QUIET)
    assert await outbox_statuses(db) == []
    await broadcasts.tick(db, later, QUIET)
    assert await outbox_statuses(db) == ["held", "held"]  # quiet hours in Madiun
    await broadcasts.tick(db, datetime(2026, 11, 24, 0, 1, tzinfo=UTC), QUIET)  # 07:01 WIB
    assert await outbox_statuses(db) == ["pending", "pending"]


async def test_a_submission_moves_a_contact_to_the_submitted_stage(db: Database) -> None:
    await people(db)
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "1"))).one()
    async with db.transaction() as session:
        session.add(
            Submission(
                reference="K7XQ-M4DA",
                branch_code="KC-MADIUN",
                channel="telegram",
                contact_id=contact.id,
                consent_version="v1",
                consent_at=NOW,
                regency_code="35.77",
                occupation="ojek",
                income_band="1-2jt",
                programs="jkk_jkm",
                monthly_contribution=16_800,
                payment_months=1,
                period_total=16_800,
            )
        )
    chosen = Audience(stage="submitted", occupation_groups=("transport",))
    assert (await broadcasts.count_recipients(db, chosen, "KC-MADIUN", CATALOGUE))["total"] == 1


def test_small_counts_are_suppressed_for_mitra() -> None:
    funnel = Funnel(stages=[("reserved", 40), ("attended", 30), ("submitted", 3)])
    rows = funnel.rows(suppress=True)
    assert rows[2] == {"stage": "submitted", "count": "<5", "share": None}
    assert rows[1]["count"] == 30 and rows[1]["share"] == 0.75
    assert funnel.rows()[2]["count"] == 3


async def test_kirim_uji_goes_only_to_the_authors_chat(db: Database) -> None:
    await people(db)
    await broadcasts.send_test(db, "Sosialisasi Selasa.", channel="telegram", chat_id="999", now=NOW)
    async with db.reader() as session:
        (row,) = (await session.exec(select(OutboxMessage))).all()
    assert row.chat_id == "999" and row.payload["text"].startswith("[UJI COBA")
    assert "Balas STOP" in row.payload["text"] and row.priority == 1


async def test_created_with_its_count_then_prepared_in_chunks_that_survive_a_crash(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creation stores the count and writes no row; the scheduler writes them chunk by chunk, and
    a crash between chunks repeats nobody and skips nobody when the next round resumes."""
    async with db.transaction() as session:
        await session.exec(
            insert(Contact),
            params=[
                {"channel": "telegram", "chat_id": str(n), "announcements": True, "regency_code": "35.77"}
                | {"created_at": NOW}
                for n in range(7)
            ],
        )
    monkeypatch.setattr(audience, "CHUNK", 2)
    created = await broadcasts.create_broadcast(
        db, text="Info.", audience=Audience(), actor="t", branch="KC-MADIUN", now=NOW, channels=CATALOGUE
    )
    assert created.id is not None and created.recipients == 7 and not created.materialised
    assert await outbox_statuses(db) == []
    progress = await broadcasts.progress(db, created.id, None)
    assert progress is not None and progress.preparing and progress.prepared == 0

    real = outbox._add_recipients
    calls = 0

    async def crashing(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the process died here")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "_add_recipients", crashing)
    with pytest.raises(RuntimeError):
        await broadcasts.tick(db, NOW, QUIET)
    halfway = await broadcasts.progress(db, created.id, None)
    assert halfway is not None and halfway.preparing and halfway.prepared == 4
    assert len(await outbox_statuses(db)) == 4  # the third chunk's transaction left nothing

    monkeypatch.setattr(outbox, "_add_recipients", real)
    await broadcasts.tick(db, NOW, QUIET)
    done = await broadcasts.progress(db, created.id, None)
    assert done is not None and not done.preparing and done.prepared == done.recipients == 7
    async with db.reader() as session:
        chats = (await session.exec(select(OutboxMessage.chat_id))).all()
    assert sorted(chats) == [str(n) for n in range(7)]
