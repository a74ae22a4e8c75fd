"""A realistic registrations file for the import tests: good rows and each kind of bad row.

`scenario(db)` seeds the submissions the file names (two branches) and returns the file (CSV
text) with what each row should come to. The file is what a branch officer's system exports:
Indonesian-style `;` separators, dates written three ways, a NIK instead of a reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import select

from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission
from storage.submissions import change_status
from tests.support.backoffice_helpers import MADURA, T0, nik_for, seed
from tests.support.helpers import VAULT

NOW = T0 + timedelta(days=10)
"""The import runs on Thursday 12 November 2026."""


@dataclass
class Scenario:
    csv: str
    good: dict[str, str] = field(default_factory=dict)
    """Reference → the status it ends in, for the rows that apply."""
    untouched: list[str] = field(default_factory=list)
    """References the file names (or could reveal) whose submission must not change."""
    errors: dict[int, str] = field(default_factory=dict)
    """Row number → a word the refusal must contain."""
    other_branch: tuple[int, int] = (0, 0)
    """Rows naming another branch's person (by reference, by NIK)."""
    unknown: tuple[int, int] = (0, 0)
    """Rows naming nobody (by reference, by NIK)."""
    notified: int = 0
    """How many workers get a message."""
    telegram_chats: list[int] = field(default_factory=list)
    """The Telegram chats that get one (registered: the message carries the KPJ)."""
    whatsapp_ids: list[str] = field(default_factory=list)


async def _set_status(db: Database, reference: str, status: str, signup: datetime) -> None:
    async with db.transaction() as session:
        found = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        await change_status(session, found, status, actor="test", now=signup)


def _chat(n: int) -> str:
    """A Telegram chat id (a number, as the fake Bot API wants it)."""
    return str(870_000 + n)


def telegram_chat(n: int) -> int:
    return int(_chat(n))


def _serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


async def scenario(db: Database, base: int = 100, vault: Vault = VAULT, now: datetime = NOW) -> Scenario:
    """Seeds the submissions and builds the file for an import at `now` (sign-ups ten days
    before, registrations three to five days later). `base` keeps NIKs apart between calls."""
    signup = now - timedelta(days=10)
    day = (signup + timedelta(days=3)).date()
    iso, dmy = day.isoformat(), (day + timedelta(days=1)).strftime("%d-%m-%Y")
    paid = (day + timedelta(days=91)).isoformat()
    serial, paid_serial = _serial(day + timedelta(days=2)), _serial(day + timedelta(days=93))
    later = (now + timedelta(days=19)).date().isoformat()
    fresh = await seed(
        db, vault=vault, created_at=signup, n=base + 1, chat_id=_chat(base + 1)
    )  # baru → terdaftar
    by_nik = await seed(
        db, vault=vault, created_at=signup, n=base + 2, channel="whatsapp", chat_id=f"62812000{base + 2:04d}"
    )
    contacted = await seed(db, vault=vault, created_at=signup, n=base + 3, chat_id=_chat(base + 3))
    await _set_status(db, contacted, "dihubungi", signup)
    cancelled = await seed(db, vault=vault, created_at=signup, n=base + 4, chat_id=_chat(base + 4))
    await _set_status(db, cancelled, "dibatalkan", signup)
    bad_kpj = await seed(db, vault=vault, created_at=signup, n=base + 5, chat_id=_chat(base + 5))
    future = await seed(db, vault=vault, created_at=signup, n=base + 6, chat_id=_chat(base + 6))
    processing = await seed(db, vault=vault, created_at=signup, n=base + 7, chat_id=_chat(base + 7))
    theirs = await seed(db, vault=vault, created_at=signup, where=MADURA, n=base + 8, chat_id=_chat(base + 8))
    lines = [
        "reference;nik;status;kpj;registered_on;paid_until;note",
        f"{fresh};;terdaftar;21012345678;{iso};{paid};",  # row 2: good, ISO dates
        f";{nik_for(base + 2)};Terdaftar;210 1234 5679;{dmy};;",  # row 3: good by NIK, DD-MM-YYYY
        # row 4: the reference as typed (lower case, no dash), Excel serial dates, a note
        f"{contacted.lower().replace('-', '')};;terdaftar;21012345680;{serial};{paid_serial};dari loket",
        f"{cancelled};;terdaftar;21012345681;{iso};;",  # row 5: final status, refused
        f"{bad_kpj};;terdaftar;2101234;{iso};;",  # row 6: KPJ too short
        f"{future};;terdaftar;21012345682;{later};;",  # row 7: registered in the future
        f"QQQQ-QQQQ;;terdaftar;21012345683;{iso};;",  # row 8: no such reference
        f"{theirs};;terdaftar;21012345684;{iso};;",  # row 9: another branch's reference
        f";{nik_for(base + 8)};terdaftar;21012345685;{iso};;",  # row 10: another branch's NIK
        f";{nik_for(base + 99)};terdaftar;21012345686;{iso};;",  # row 11: NIK of nobody
        f"{fresh};;terdaftar;21012345678;{iso};{paid};",  # row 12: duplicate of row 2
        f"{processing};;diproses;;;;",  # row 13: baru → diproses (allowed, not notified)
        f";;terdaftar;21012345687;{iso};;",  # row 14: no reference nor NIK
        f"{processing.replace('-', '')[:6]};;terdaftar;;;;",  # row 15: a reference cut short
    ]
    return Scenario(
        csv="\n".join(lines) + "\n",
        good={fresh: "terdaftar", by_nik: "terdaftar", contacted: "terdaftar", processing: "diproses"},
        untouched=[cancelled, bad_kpj, future, theirs],
        errors={
            5: "final",
            6: "11 angka",
            7: "masa depan",
            8: "tidak ditemukan",
            9: "tidak ditemukan",
            10: "tidak ditemukan",
            11: "tidak ditemukan",
            12: "baris 2",
            14: "referensi atau NIK",
            15: "tidak ditemukan",
        },
        other_branch=(9, 10),
        unknown=(8, 11),
        notified=3,
        telegram_chats=[telegram_chat(base + 1), telegram_chat(base + 3)],
        whatsapp_ids=[f"62812000{base + 2:04d}"],
    )
