"""Upgrading from the last release's schema with data in it: a database at revision 0014 (the last
released head), filled with the raw SQL of that schema as the release wrote it, migrated to this
code's head; then the service's app serves it and nothing is lost."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import bindparam, text
from sqlmodel import col, select

from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from dashboard.service.accounts import hash_password
from handlers.types import Inbound
from storage.backup import _contents
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Submission
from storage.schema_version import SCHEMA_HEAD
from storage.types import UTCDateTime
from tests.dashboard.test_staff_pages import log_in
from tests.handlers.test_enrol_flow import HAPPY, MAN_NIK, WOMAN_NIK
from tests.support.backoffice_helpers import PASSWORD
from tests.support.ops_seed import fresh_database

RELEASED = "0014"
KEY = Fernet.generate_key().decode()
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)  # the service reads its own clock
WORKER, DRAFTING = "501", "6281234567890"


async def raw(session: Any, sql: str, **values: Any) -> Any:
    """Runs one statement of the release's SQL; datetimes are bound as UTC, as it stored them."""
    times = [bindparam(name, type_=UTCDateTime()) for name, v in values.items() if isinstance(v, datetime)]
    statement: Any = text(sql).bindparams(*times)
    return await session.exec(statement, params=values)


async def insert(session: Any, sql: str, **values: Any) -> int:
    """One INSERT ... RETURNING id (the ids come from the database, as the release's did)."""
    return int((await raw(session, sql + " RETURNING id", **values)).scalar_one())


async def fill_release_database(db: Database, vault: Vault) -> str:
    """What the release left: an officer, a worker with a sign-up in progress at the branch, its
    history and messages, someone half-way through the form, a callback request, a session."""
    seal = vault.encrypt
    async with db.transaction() as session:
        ani = await insert(
            session,
            "INSERT INTO staff_account (username, password_hash, role, branch_code, regencies, created_at)"
            " VALUES ('ani', :hash, 'staff', 'KC-MADIUN', '[]', :at)",
            hash=hash_password(PASSWORD),
            at=AT,
        )
        worker = await insert(
            session,
            "INSERT INTO contact (channel, chat_id, display_name, phone_enc, announcements, last_inbound_at,"
            " created_at) VALUES ('telegram', :chat, 'Siti', :phone, true, :at, :at)",
            chat=WORKER,
            phone=seal("+6281234567890"),
            at=AT,
        )
        await raw(
            session,
            "INSERT INTO conversation (contact_id, flow, step, data, version, updated_at)"
            " VALUES (:id, NULL, NULL, '{}', 14, :at)",
            id=worker,
            at=AT,
        )
        reference = "K7XQ-M4DA"
        submission = await insert(
            session,
            "INSERT INTO submission (reference, status, branch_code, channel, contact_id, consent_version,"
            " consent_at, nik_enc, nik_hash, full_name_enc, birth_date, sex, phone_enc, phone_hash,"
            " address_enc, regency_code, regency_name, district_code, district_name, occupation, programs,"
            " monthly_contribution, payment_months, period_total, flags, subsidy_candidate, created_at,"
            " updated_at, income_enc, income_band, reported_income_enc, answers, assigned_to_id, assigned_at,"
            " call_by, version) VALUES (:ref, 'diproses', 'KC-MADIUN', 'telegram', :contact, '2026-11-22.1',"
            " :at, :nik, :nik_hash, :name, :born, 'P', :phone, :phone_hash, :address, '35.77', 'Kota Madiun',"
            " '35.77.01', 'Kartoharjo', 'pedagang', 'jkk_jkm_jht', 36800, 3, 110400, '[]', false, :at, :at,"
            " :income, '1-2jt', :income, :answers, :ani, :at, :call_by, 1)",
            ref=reference,
            contact=worker,
            at=AT,
            nik=seal(WOMAN_NIK),
            nik_hash=vault.keyed_hash(WOMAN_NIK),
            name=seal("Siti Aminah"),
            born=date(1985, 8, 7),
            phone=seal("+6281234567890"),
            phone_hash=vault.phone_hash("+6281234567890"),
            address=seal("Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro"),
            income=seal("1500000"),
            answers=json.dumps({"email": None}),
            ani=ani,
            call_by=date(2026, 11, 25),
        )
        for status, before in (("baru", None), ("diproses", "baru")):
            await insert(
                session,
                "INSERT INTO submission_event (submission_id, at, actor, from_status, to_status)"
                " VALUES (:s, :at, 'ani', :before, :status)",
                s=submission,
                at=AT,
                before=before,
                status=status,
            )
        for status, body in (
            ("sent", "Terima kasih, pendaftaran sudah kami terima."),
            ("pending", "Halo lagi"),
        ):
            await insert(
                session,
                "INSERT INTO outbox (channel, chat_id, contact_id, payload, priority, status, attempts,"
                " next_attempt_at, attempt_log, created_at) VALUES ('telegram', :chat, :contact, :payload,"
                " 0, :status, 0, :at, '[]', :at)",
                chat=WORKER,
                contact=worker,
                payload=json.dumps({"text": body, "options": []}),
                status=status,
                at=AT,
            )
        await insert(
            session,
            "INSERT INTO processed_inbound (channel, message_id, contact_id, received_at)"
            " VALUES ('telegram', 'u1', :contact, :at)",
            contact=worker,
            at=AT,
        )
        drafting = await insert(
            session,
            "INSERT INTO contact (channel, chat_id, announcements, last_inbound_at, created_at)"
            " VALUES ('whatsapp', :chat, false, :at, :at)",
            chat=DRAFTING,
            at=AT,
        )
        draft = {
            "draft": {
                "id": "57051774f2054c7ea48c117ac0aeeb14",
                "answers": {
                    "consent": {"version": "2026-11-22.1", "at": AT.isoformat(), "channel": "whatsapp"},
                    "nik": seal(MAN_NIK),
                    "nik_facts": {
                        "birth_date": "1990-03-12",
                        "sex": "L",
                        "regency_code": "35.26",
                        "district_code": "35.26.01",
                        "region_outdated": False,
                        "district_unlisted": False,
                    },
                    "full_name": seal("Budi Santoso"),
                },
                "history": ["consent", "nik", "full_name", "birth_date"],
                "fails": {},
                "created": AT.isoformat(),
                "updated": AT.isoformat(),
                "step": "birth_date",
                "extra": {},
            },
            "_options": [],
        }
        await raw(
            session,
            "INSERT INTO conversation (contact_id, flow, step, data, version, updated_at)"
            " VALUES (:id, 'enrol', 'birth_date', :data, 4, :at)",
            id=drafting,
            data=json.dumps(draft),
            at=AT,
        )
        await insert(
            session,
            "INSERT INTO callback_request (contact_id, channel, branch_code, phone_enc, question_enc,"
            " status, created_at, regency_code, version) VALUES (:contact, 'whatsapp', 'KC-MADIUN', :phone,"
            " :question, 'baru', :at, '35.77', 1)",
            contact=drafting,
            phone=seal("+6281234567890"),
            question=seal("kalau kecelakaan di jalan klaimnya gimana"),
            at=AT,
        )
        await insert(
            session,
            "INSERT INTO social_session (code, title, starts_at, ends_at, timezone, place, regency_code,"
            " regency_name, organiser, capacity, branch_code, created_by, created_at) VALUES ('MAD2611',"
            " 'Sosialisasi BPU Pasar Besar', :starts, :ends, 'WIB', 'Pasar Besar Madiun', '35.77',"
            " 'Kota Madiun', 'Dinas Tenaga Kerja', 50, 'KC-MADIUN', 'ani', :at)",
            starts=AT + timedelta(days=5),
            ends=AT + timedelta(days=5, hours=2),
            at=AT,
        )
    return reference


async def test_an_upgrade_from_the_last_release_keeps_everything(db_url: str, tmp_path: Path) -> None:
    vault = Vault(KEY)
    async with fresh_database(db_url, tmp_path, "upgrade") as url:
        await asyncio.to_thread(upgrade, url, RELEASED)
        db = Database(url)
        try:
            reference = await fill_release_database(db, vault)
            _old, before = await _contents(url)
        finally:
            await db.dispose()

        await asyncio.to_thread(upgrade, url)
        revision, after = await _contents(url)
        assert revision == SCHEMA_HEAD
        assert {name: after[name] for name in before if name != "alembic_version"} == {
            name: n for name, n in before.items() if name != "alembic_version"
        }
        assert before["submission"] == 1 and before["queue_count"] == 1  # the release's triggers ran

        service = build_service(load_settings(database_url=url, pii_encryption_key=KEY, secret_key="s"))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(service)), base_url="http://t"
        )
        try:
            health = (await client.get("/healthz")).json()
            assert (health["status"], health["database"]) == ("ok", "ok")
            assert (await log_in(client, "ani")).status_code == 303
            queue = await client.get("/staff")
            assert reference in queue.text and "Siti Aminah" in queue.text
            detail = await client.get(f"/staff/submissions/{reference}")
            assert "Jl. Merpati 12" in detail.text and "357701******0001" in detail.text

            async def say(chat_id: str, channel: str, line: str) -> str:
                inbound = Inbound(channel=channel, chat_id=chat_id, message_id=f"m-{line}", at=AT, text=line)
                return "\n".join(r.text for r in (await service.engine.handle(inbound)).replies)

            assert reference in await say(WORKER, "telegram", "status")
            # The person half-way through the form goes on from the step they were at.
            for line in ["12 maret 1990", "0812-3456-7890", "ya", *HAPPY[7:], "kirim"]:
                last = await say(DRAFTING, "whatsapp", line)
            assert "Nomor pendaftaran" in last
            async with service.db.reader() as session:
                stored = (await session.exec(select(Submission).order_by(col(Submission.id)))).all()
            assert [vault.decrypt(s.nik_enc or "") for s in stored] == [WOMAN_NIK, MAN_NIK]
            assert vault.decrypt(stored[1].full_name_enc or "") == "Budi Santoso"
        finally:
            await client.aclose()
            await service.db.dispose()
