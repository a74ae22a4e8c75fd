"""Shared pieces of the back-office tests: submissions stored as the enrolment stores them,
accounts, and a Backoffice over the test database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from bot.channels.registry import catalogue
from dashboard.service import Access, Backoffice
from dashboard.service.accounts import access_of, by_username
from storage.crypto import Vault
from storage.db import Database
from storage.models import Contact, Submission, income_band
from storage.submissions import add_submission
from tests.support.helpers import VAULT, FixedClock

PASSWORD = "kopi-tubruk-pagi-hari"
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 2 November 2026, 09:00 WIB
_serial = itertools.count(1)
CATALOGUE = catalogue()
"""The channels the service knows (the registry's and the console), as the app passes them."""

# (branch, regency code, regency name) of the branches the tests use.
MADIUN = ("KC-MADIUN", "35.77", "Kota Madiun")
MADURA = ("KC-MADURA", "35.26", "Kabupaten Bangkalan")


def nik_for(n: int) -> str:
    return f"357701470885{n:04d}"


def phone_for(n: int) -> str:
    return f"+6281234{n:05d}"


async def seed(
    db: Database,
    *,
    where: tuple[str, str, str] = MADIUN,
    n: int | None = None,
    created_at: datetime = T0,
    call_by: date | None = None,
    flags: tuple[str, ...] = (),
    occupation: str = "pedagang",
    channel: str = "telegram",
    chat_id: str | None = None,
    attribution: str | None = None,
    vault: Vault = VAULT,
) -> str:
    """Stores one submission (with its contact) and returns its reference."""
    n = n if n is not None else next(_serial)
    branch, regency, regency_name = where
    async with db.transaction() as session:
        contact = Contact(channel=channel, chat_id=chat_id or f"{channel}-{n}", last_inbound_at=created_at)
        session.add(contact)
        await session.flush()
        submission = Submission(
            reference="",
            branch_code=branch,
            channel=channel,
            contact_id=contact.id,
            attribution_code=attribution,
            consent_version="2026-11-21.1",
            consent_at=created_at,
            nik_enc=vault.encrypt(nik_for(n)),
            nik_hash=vault.keyed_hash(nik_for(n)),
            full_name_enc=vault.encrypt(f"Warga {n}"),
            birth_date=date(1985, 8, 7),
            sex="P",
            phone_enc=vault.encrypt(phone_for(n)),
            phone_hash=vault.phone_hash(phone_for(n)),
            address_enc=vault.encrypt("Jl. Merpati 12"),
            regency_code=regency,
            regency_name=regency_name,
            district_code=f"{regency}.01",
            district_name="Kartoharjo",
            occupation=occupation,
            income_enc=vault.encrypt("1500000"),
            income_band=income_band(1_500_000),
            reported_income_enc=vault.encrypt("1500000"),
            programs="jkk_jkm_jht",
            monthly_contribution=40_900,
            payment_months=3,
            period_total=133_600,
            flags=list(flags),
            call_by=call_by or (created_at + timedelta(days=2)).date(),
        )
        await add_submission(session, submission, actor="bot:test", now=created_at)
        return submission.reference


async def account(
    office: Backoffice,
    username: str,
    role: str = "staff",
    where: tuple[str, str, str] | None = MADIUN,
    regencies: list[str] | None = None,
) -> Access:
    """Creates the account and returns its access, as a log-in would."""
    branch = where[0] if where and role in ("staff", "supervisor") else None
    await office.add_account("test", username, PASSWORD, role=role, branch=branch, regencies=regencies)
    async with office.db.reader() as session:
        found = await by_username(session, username)
    assert found is not None
    return access_of(found, "session")


def office_for(db: Database, clock: FixedClock, vault: Vault = VAULT) -> Backoffice:
    return Backoffice(db, vault, CATALOGUE, clock=clock)
