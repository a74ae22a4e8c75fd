"""Data for the staff page tests: workers who enrolled through the real engine, a page's worth of
older sign-ups written directly, and officers of two branches."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from dashboard.service import Backoffice
from dashboard.service.accounts import access_of, by_username
from handlers.app import build_router
from handlers.engine import Engine
from handlers.workdays import add_working_days
from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission, income_band
from storage.submissions import add_submission
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.helpers import Chat

PASSWORD = "kopi-tubruk-pagi-7"
# Kota Madiun, Kec. Kartoharjo. Siti: a woman born 7 Aug 1985; Budi: a man born 12 Mar 1990.
SITI_NIK = "3577014708850001"
BUDI_NIK = "3577011203900004"
# Bangkalan (KC-MADURA): a man born 12 Mar 1990.
MADURA_NIK = "3526011203900002"
TELEGRAM_CHAT = "8601"
WHATSAPP_ID = "6281298765432"
# Budi, after signing up on WhatsApp, asks for an officer's call.
CALLBACK_QUESTION = "bisa bayar iurannya lewat indomaret?"

OFFICERS = {
    "siti.petugas": ("staff", "KC-MADIUN"),
    "dewi.petugas": ("staff", "KC-MADIUN"),
    "bayu.kabid": ("supervisor", "KC-MADIUN"),
    "made.madura": ("staff", "KC-MADURA"),
}


def form(nik: str, name: str, birth: str, phone: str, income: str = "1,5 juta") -> list[str]:
    return [
        "daftar",
        "setuju",
        nik,
        name,
        birth,
        phone,
        "ya",
        "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro",
        "1",
        income,
        "2",
        "3",
        "lewati",
        "kirim",
    ]


@dataclass(frozen=True)
class Seeded:
    telegram_ref: str
    whatsapp_ref: str
    madura_ref: str
    bulk: int


async def enrol(db: Database, engine: Engine, channel: str, chat_id: str, lines: list[str]) -> str:
    chat = Chat(db, engine, chat_id=chat_id, channel=channel)
    for line in lines:
        await chat.say(line)
    async with db.reader() as session:
        rows = (await session.exec(select(Submission).order_by(col(Submission.id).desc()))).all()
    assert rows and rows[0].channel == channel, chat.last.text
    return rows[0].reference


NAMES = [
    "Sri Wahyuni", "Agus Salim", "Nur Hidayah", "Bambang Irawan", "Rina Marlina", "Joko Susilo",
    "Yuliani", "Eko Prasetyo", "Sulastri", "Hendra Gunawan", "Tri Handayani", "Slamet Riyadi",
]  # fmt: skip
PLACES = [
    ("35.77", "Kota Madiun", "35.77.01", "Kartoharjo"),
    ("35.77", "Kota Madiun", "35.77.02", "Manguharjo"),
    ("35.19", "Kab. Madiun", "35.19.01", "Kebonsari"),
    ("35.20", "Kab. Magetan", "35.20.01", "Poncol"),
    ("35.21", "Kab. Ngawi", "35.21.01", "Sine"),
]
JOBS = ["pedagang", "ojek", "petani", "nelayan", "buruh", "umkm"]


async def bulk(db: Database, vault: Vault, count: int, start: datetime) -> None:
    """`count` older sign-ups of KC-MADIUN, one an hour from `start`, varied like a real queue."""
    async with db.transaction() as session:
        for n, name, place, job, channel in zip(
            range(count),
            itertools.cycle(NAMES),
            itertools.cycle(PLACES),
            itertools.cycle(JOBS),
            itertools.cycle(["whatsapp", "telegram", "whatsapp"]),
            strict=False,
        ):
            at = start + timedelta(hours=n)
            phone = f"+62812{n:08d}"
            submission = Submission(
                reference="",
                branch_code="KC-MADIUN",
                channel=channel,
                consent_version="2026-11-21.1",
                consent_at=at,
                nik_enc=vault.encrypt(f"35770141{n:08d}"),
                nik_hash=vault.keyed_hash(f"35770141{n:08d}"),
                full_name_enc=vault.encrypt(name),
                birth_date=date(1980, 1, 1) + timedelta(days=97 * n),
                sex="P" if n % 2 else "L",
                phone_enc=vault.encrypt(phone),
                phone_hash=vault.phone_hash(phone),
                address_enc=vault.encrypt(f"Jl. Pahlawan {n + 1}"),
                regency_code=place[0],
                regency_name=place[1],
                district_code=place[2],
                district_name=place[3],
                occupation=job,
                income_enc=vault.encrypt("2000000"),
                income_band=income_band(2_000_000),
                reported_income_enc=vault.encrypt("2000000"),
                programs="jkk_jkm",
                monthly_contribution=16_800,
                payment_months=1,
                period_total=16_800,
                flags=["age_over_limit"] if n % 17 == 5 else [],
                attribution_code="KDP2211" if n % 4 == 0 else None,
                call_by=add_working_days(at.date(), 3),
            )
            await add_submission(session, submission, actor="bot:seed", now=at)


async def work_some(db: Database, backoffice: Backoffice) -> None:
    """Officers already on the oldest sign-ups, so the queue looks like a working day."""
    async with db.reader() as session:
        oldest = (
            await session.exec(select(Submission.reference).order_by(col(Submission.id)).limit(5))
        ).all()
        dewi = await by_username(session, "dewi.petugas")
        bayu = await by_username(session, "bayu.kabid")
    assert dewi is not None and bayu is not None
    officer, supervisor = access_of(dewi, "session"), access_of(bayu, "session")
    for reference in oldest[:4]:
        await backoffice.assign(officer, reference)
    await backoffice.change_status(officer, oldest[1], "dihubungi")
    await backoffice.change_status(officer, oldest[2], "dihubungi")
    await backoffice.change_status(officer, oldest[2], "terdaftar", kpj="21098765432")
    await backoffice.change_status(
        supervisor, oldest[3], "ditolak", reason="sudah_terdaftar", note="KPJ lama aktif"
    )


async def seed(db: Database, vault: Vault, *, bulk_rows: int = 60) -> Seeded:
    """Officers, three workers who enrolled through the engine, and `bulk_rows` older sign-ups."""
    backoffice = Backoffice(db, vault, CATALOGUE)
    for username, (role, branch) in OFFICERS.items():
        await backoffice.add_account("cli:test", username, PASSWORD, role=role, branch=branch)
    now = datetime.now(UTC)
    await bulk(db, vault, bulk_rows, now - timedelta(days=4))
    await work_some(db, backoffice)
    engine = Engine(db, build_router(), vault=vault)
    siti = form(SITI_NIK, "Siti Aminah", "7 agustus 1985", "0812-3456-7890")
    budi = form(BUDI_NIK, "Budi Santoso", "12 maret 1990", "0812-9876-5432")
    ahmad = form(MADURA_NIK, "Ahmad Fauzi", "12 maret 1990", "0813-3333-4444")
    telegram = await enrol(db, engine, "telegram", TELEGRAM_CHAT, siti)
    whatsapp = await enrol(db, engine, "whatsapp", WHATSAPP_ID, budi)
    madura = await enrol(db, engine, "console", "madura", ahmad)
    asks = Chat(db, engine, chat_id=WHATSAPP_ID, channel="whatsapp")
    assert "Apa yang ingin" in await asks.say("minta ditelepon")  # number and place known
    assert "Kantor Cabang Madiun" in await asks.say(CALLBACK_QUESTION)
    return Seeded(telegram, whatsapp, madura, bulk_rows)
