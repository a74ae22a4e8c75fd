"""A realistic registrations file for the import tests: good rows and each kind of bad row.

`scenario(db)` seeds the submissions the file names (two branches) and returns the file (CSV
text) with what each row should come to. The file is what a branch officer's system exports:
Indonesian-style `;` separators, dates written three ways, a NIK instead of a reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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


async def _set_status(db: Database, reference: str, status: str) -> None:
    async with db.transaction() as session:
        found = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        await change_status(session, found, status, actor="test", now=T0)


async def scenario(db: Database, base: int = 100, vault: Vault = VAULT) -> Scenario:
    """Seeds the submissions and builds the file. `base` keeps NIKs apart between calls."""
    fresh = await seed(db, vault=vault, n=base + 1)  # baru → terdaftar
    by_nik = await seed(db, vault=vault, n=base + 2, channel="whatsapp", chat_id=f"62812000{base + 2:04d}")
    contacted = await seed(db, vault=vault, n=base + 3)
    await _set_status(db, contacted, "dihubungi")
    cancelled = await seed(db, vault=vault, n=base + 4)
    await _set_status(db, cancelled, "dibatalkan")
    bad_kpj = await seed(db, vault=vault, n=base + 5)
    future = await seed(db, vault=vault, n=base + 6)
    processing = await seed(db, vault=vault, n=base + 7)
    theirs = await seed(db, vault=vault, where=MADURA, n=base + 8)
    lines = [
        "reference;nik;status;kpj;registered_on;paid_until;note",
        f"{fresh};;terdaftar;21012345678;2026-11-05;2027-02-04;",  # row 2: good, ISO dates
        f";{nik_for(base + 2)};Terdaftar;210 1234 5679;06-11-2026;;",  # row 3: good by NIK, DD-MM-YYYY
        f"{contacted.lower().replace('-', '')};;terdaftar;21012345680;46333;46424;dari loket",  # 4: serials
        f"{cancelled};;terdaftar;21012345681;2026-11-05;;",  # row 5: final status, refused
        f"{bad_kpj};;terdaftar;2101234;2026-11-05;;",  # row 6: KPJ too short
        f"{future};;terdaftar;21012345682;2026-12-01;;",  # row 7: registered in the future
        "QQQQ-QQQQ;;terdaftar;21012345683;2026-11-05;;",  # row 8: no such reference
        f"{theirs};;terdaftar;21012345684;2026-11-05;;",  # row 9: another branch's reference
        f";{nik_for(base + 8)};terdaftar;21012345685;2026-11-05;;",  # row 10: another branch's NIK
        f";{nik_for(base + 99)};terdaftar;21012345686;2026-11-05;;",  # row 11: NIK of nobody
        f"{fresh};;terdaftar;21012345678;2026-11-05;2027-02-04;",  # row 12: duplicate of row 2
        f"{processing};;diproses;;;;",  # row 13: baru → diproses (allowed, not notified)
        ";;terdaftar;21012345687;2026-11-05;;",  # row 14: no reference nor NIK
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
    )
