"""Sessions through the real engine and database: listing, reserving, reminders, attendance,
the sponsor, the follow-up question, and the staff side's creation, links, QR codes and poster."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.scheduler import Scheduler
from dashboard.service.sessions import (
    Invalid,
    SessionSpec,
    Sponsor,
    create_session,
    poster_html,
    qr_png,
    qr_svg,
)
from handlers.channels import Identity
from handlers.engine import Engine
from handlers.localtime import QuietHours, zone_name
from storage.db import Database
from storage.models import CallbackRequest, Contact, OutboxMessage, Submission
from storage.outreach_models import SessionParticipant, SocialSession
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.helpers import VAULT, Chat, FixedClock

QUIET = QuietHours.parse("21:00-07:00")
IDENTITY = Identity({"telegram": "BpuDaftarBot", "whatsapp": "6281200001111"})


def spec(**changes: object) -> SessionSpec:
    values: dict[str, object] = {
        "title": "Sosialisasi BPJS Ketenagakerjaan untuk UMKM Kartoharjo",
        "starts_at": datetime(2026, 11, 24, 9, 0),
        "ends_at": datetime(2026, 11, 24, 11, 0),
        "regency_code": "35.77",
        "organiser": "Dinas Koperasi dan UKM Kota Madiun",
        "capacity": 1,
        "place": "Pendapa Kecamatan Kartoharjo",
        "district": "Kartoharjo",
    }
    values.update(changes)
    return SessionSpec(**values)  # type: ignore[arg-type]


def person(chat: Chat, chat_id: str) -> Chat:
    return Chat(chat.db, chat.engine, chat_id=chat_id)


async def rows_to(db: Database, chat_id: str) -> list[OutboxMessage]:
    async with db.reader() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(col(OutboxMessage.id))
        return list((await session.exec(query)).all())


async def test_time_zones_by_province() -> None:
    assert zone_name("35.77") == "WIB" and zone_name("51.71") == "WITA" and zone_name("91.01") == "WIT"
    assert zone_name(None) == "WIB"
    quiet = QUIET
    wib = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)  # 21:30 WIB
    from handlers.localtime import zone

    assert quiet.contains(wib.astimezone(zone("WIB")))
    assert quiet.next_allowed(wib, zone("WIB")) == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # 07:00 WIB
    assert quiet.next_allowed(datetime(2026, 11, 21, 5, 0, tzinfo=UTC), zone("WIB")) == datetime(
        2026, 11, 21, 5, 0, tzinfo=UTC
    )


async def test_staff_create_a_session_with_code_links_qr_and_poster(db: Database, clock: FixedClock) -> None:
    social = await create_session(db, spec(), actor="staff:ani", branches={"KC-MADIUN"}, now=clock())
    assert social.code == "MAD2411" and social.timezone == "WIB" and social.branch_code == "KC-MADIUN"
    assert social.starts_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 WIB
    second = await create_session(db, spec(), actor="staff:ani", branches=None, now=clock())
    assert second.code == "MAD2411A"
    found = IDENTITY.links(CATALOGUE, social.code)
    assert found == {
        "telegram": "https://t.me/BpuDaftarBot?start=s_MAD2411",
        "whatsapp": "https://wa.me/6281200001111?text=DAFTAR%20MAD2411",
    }
    assert qr_png(found["telegram"] or "").startswith(b"\x89PNG")
    assert qr_svg(found["whatsapp"] or "").lstrip().startswith("<svg")
    page = poster_html(social, found, CATALOGUE)
    assert page.count("<svg") == 2 and "Selasa, 24 November 2026" in page and "09.00" in page
    with pytest.raises(Invalid) as error:
        await create_session(db, spec(regency_code="35.26"), actor="x", branches={"KC-MADIUN"}, now=clock())
    assert error.value.field == "regency_code"
    with pytest.raises(Invalid):
        await create_session(
            db, spec(online_url="https://zoom.us/j/1"), actor="x", branches=None, now=clock()
        )
    papua = await create_session(db, spec(regency_code="91.03"), actor="x", branches=None, now=clock())
    assert papua.timezone == "WIT" and papua.starts_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


async def test_listing_reserving_full_and_releasing(chat: Chat, db: Database, clock: FixedClock) -> None:
    social = await create_session(db, spec(), actor="staff", branches=None, now=clock())
    await create_session(
        db,
        spec(regency_code="35.26", title="Sosialisasi di Bangkalan"),
        actor="staff",
        branches=None,
        now=clock(),
    )
    ani, budi = chat, person(chat, "6281300002222")
    assert "kabupaten/kota mana" in await ani.say("jadwal sosialisasi")
    listing = await ani.say("kota madiun")
    assert "UMKM Kartoharjo" in listing and "Bangkalan" not in listing
    assert "24 November 2026, 09.00-11.00 WIB, Pendapa Kecamatan Kartoharjo" in listing
    assert "Tempat Bapak/Ibu sudah kami catat" in await ani.say("ikut")
    await budi.say("jadwal")
    await budi.say("madiun")  # two regencies: Kota and Kab. Madiun
    assert [o.label for o in budi.last.options][:2] == ["Kota Madiun", "Kab. Madiun"] or "Kota Madiun" in str(
        budi.last_labels()
    )
    await budi.send(kind="option", option_id="sessions.regency.35.77")
    assert "sudah penuh (1 orang)" in await budi.say("ikut 1")
    assert "sudah kami batalkan" in await ani.say("batal ikut")
    await budi.say("jadwal sosialisasi")  # the regency is remembered now
    assert "Tempat Bapak/Ibu sudah kami catat" in await budi.say("ikut 1")
    assert "belum memesan tempat" in await ani.say("batal ikut")
    async with db.reader() as session:
        query = select(Contact.chat_id, SessionParticipant).join(
            SessionParticipant, col(SessionParticipant.contact_id) == col(Contact.id)
        )
        rows = (await session.exec(query)).all()
    assert {(chat_id, r.session_id, r.cancelled_at is not None) for chat_id, r in rows} == {
        (ani.chat_id, social.id, True),
        (budi.chat_id, social.id, False),
    }


async def test_a_code_typed_on_whatsapp_for_a_later_day_offers_a_place(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    """WhatsApp has no start link: "DAFTAR <code>" for a later day offers "Ikut" as Telegram
    does, and "ikut" typed later, even in the middle of the form, reserves the place."""
    social = await create_session(db, spec(), actor="staff", branches=None, now=clock())
    offer = await chat.say(f"DAFTAR {social.code}")
    assert "Ketik *ikut*" in offer and "Apakah Bapak/Ibu setuju?" not in offer
    assert [o.id for o in chat.last.options][:1] == [f"sessions.join.{social.code}"]
    await run(chat, HAPPY[:3])  # then starts the form all the same
    joined = await chat.say("ikut")
    assert "Tempat Bapak/Ibu sudah kami catat" in joined and "nama lengkap" in joined  # the form goes on
    async with db.reader() as session:
        reserved = (await session.exec(select(SessionParticipant))).all()
    assert [(r.session_id, r.cancelled_at) for r in reserved] == [(social.id, None)]


async def test_reminders_at_local_times(chat: Chat, db: Database, clock: FixedClock) -> None:
    # Session at 09:00 WITA in Denpasar (01:00 UTC on Tuesday 24 November).
    bali = spec(regency_code="51.71", capacity=10, title="Sosialisasi Denpasar", place="Balai Banjar")
    social = await create_session(db, bali, actor="staff", branches=None, now=clock())
    assert social.starts_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    await chat.send(kind="start", start_payload=f"s_{social.code}")  # on another day: no attendance
    assert "Ketik *ikut*" in chat.last.text
    await chat.say("ikut")
    scheduler = Scheduler(db, quiet=QUIET, followup_days=3, clock=clock)

    async def reminders() -> list[str]:
        await scheduler.tick()
        return [
            r.payload["text"] for r in await rows_to(db, chat.chat_id) if "Pengingat" in r.payload["text"]
        ]

    clock.now = datetime(2026, 11, 23, 0, 59, tzinfo=UTC)  # 24 h 1 min before
    assert await reminders() == []
    clock.now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 WITA, the day before
    sent = await reminders()
    assert len(sent) == 1 and "besok" in sent[0] and "09.00 WITA" in sent[0]
    clock.now = datetime(2026, 11, 23, 22, 59, tzinfo=UTC)
    assert len(await reminders()) == 1
    clock.now = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 07:00 WITA, two hours before
    sent = await reminders()
    assert len(sent) == 2 and "2 jam lagi" in sent[1]
    clock.advance(minutes=5)
    assert len(await reminders()) == 2  # never twice


async def test_arrival_on_the_day_sponsor_and_follow_up(
    chat: Chat, db: Database, clock: FixedClock, engine: Engine
) -> None:
    sponsored = spec(
        capacity=100,
        sponsor=Sponsor("Pemerintah Kota Madiun", months=6, quota=1),
        starts_at=datetime(2026, 11, 21, 9),
    )
    sponsored = SessionSpec(**{**sponsored.__dict__, "ends_at": datetime(2026, 11, 21, 12)})
    social = await create_session(db, sponsored, actor="staff", branches=None, now=clock())
    # 10:00 WIB on the session's day: Siti comes through the WhatsApp link and enrols.
    siti = person(chat, "6281234567890")
    welcome = await siti.say(f"DAFTAR {social.code}")
    assert "Kehadiran Bapak/Ibu sudah kami catat" in welcome
    assert "dibayar oleh Pemerintah Kota Madiun selama 6 bulan" in welcome and "tersisa 1 dari 1" in welcome
    summary = await run(siti, HAPPY[1:])
    # The city pays JKK + JKM at the normal rate (15.000 + 6.800: no PP 50/2025 discount when a
    # budget pays); Siti pays her JHT of 30.000 (tests/handlers/test_price_consistency.py walks it all).
    assert "Rp21.800 per bulan dibayar Pemerintah Kota Madiun" in summary
    assert "Bapak/Ibu membayar Rp30.000 per bulan" in summary
    assert "dibayar Pemerintah Kota Madiun" in await siti.say("kirim")
    async with db.reader() as session:
        submission = (await session.exec(select(Submission))).one()
    assert submission.sponsor == "Pemerintah Kota Madiun" and submission.sponsor_months == 6
    assert submission.monthly_contribution == 30_000
    # Budi comes on the day too, after the quota is used: told truthfully, and does not enrol.
    budi = person(chat, "6281300002222")
    text = await budi.say(f"DAFTAR {social.code}")
    assert "sudah habis" in text and "tersisa" not in text
    await budi.say("batal")
    await budi.say("ya")
    # Three days after the session: Budi (attended, no submission) is asked why; Siti is not.
    scheduler = Scheduler(db, quiet=QUIET, followup_days=3, clock=clock)
    clock.now = datetime(2026, 11, 24, 4, 59, tzinfo=UTC)
    await scheduler.tick()
    assert not [r for r in await rows_to(db, budi.chat_id) if "alasannya" in r.payload["text"]]
    clock.now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    await scheduler.tick()
    await scheduler.tick()
    asked = [r for r in await rows_to(db, budi.chat_id) if "alasannya" in r.payload["text"]]
    assert len(asked) == 1 and len(asked[0].payload["options"]) == 7
    assert not [r for r in await rows_to(db, siti.chat_id) if "alasannya" in r.payload["text"]]
    answer = await budi.say("3")  # caranya sulit
    assert "akan menghubungi" in answer
    async with db.reader() as session:
        query = select(SessionParticipant).join(
            Contact, col(Contact.id) == col(SessionParticipant.contact_id)
        )
        row = (await session.exec(query.where(Contact.chat_id == budi.chat_id))).one()
        task = (await session.exec(select(CallbackRequest))).one()
    assert row.followup_reason == "sulit" and task.branch_code == "KC-MADIUN"
    assert task.question_enc and "Caranya/dokumen sulit" in VAULT.decrypt(task.question_enc)


async def test_follow_up_answers_get_useful_replies(chat: Chat, db: Database, clock: FixedClock) -> None:
    today = spec(capacity=5, starts_at=datetime(2026, 11, 21, 9), ends_at=datetime(2026, 11, 21, 12))
    social = await create_session(db, today, actor="staff", branches=None, now=clock())
    ani, budi = chat, person(chat, "6281999")
    for someone in (ani, budi):
        await someone.send(kind="start", start_payload=f"s_{social.code}")
    clock.now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    await Scheduler(db, quiet=QUIET, followup_days=3, clock=clock).tick()
    berat = await ani.send(kind="option", option_id=f"followup.berat.{social.id}")
    assert "Rp16.800" in berat[0].text and "Rp8.400" in berat[0].text  # then the calculator
    assert "Belum paham" not in berat[-1].text
    assert "tulis alasannya" in await budi.say("lainnya")
    thanks = await budi.say("belum sempat, tolong dibantu lewat telepon")
    assert "akan menghubungi" in thanks
    async with db.reader() as session:
        rows = (await session.exec(select(SessionParticipant).order_by(col(SessionParticipant.id)))).all()
        tasks = (await session.exec(select(CallbackRequest))).all()
    assert [(r.followup_reason, r.followup_other) for r in rows] == [
        ("berat", None),
        ("lainnya", "belum sempat, tolong dibantu lewat telepon"),
    ]
    assert ["Minta dibantu petugas" in VAULT.decrypt(t.question_enc or "") for t in tasks] == [True]


async def test_session_sessions_are_stored(db: Database, clock: FixedClock) -> None:
    await create_session(db, spec(), actor="staff", branches=None, now=clock())
    async with db.reader() as session:
        assert len((await session.exec(select(SocialSession))).all()) == 1
