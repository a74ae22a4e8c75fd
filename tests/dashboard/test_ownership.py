"""One ownership rule on every path: a sign-up being worked has an officer, and a new one that
gets an officer is being worked (dashboard/service/workflow.py `owner_after`, `status_when_owned`)."""

from __future__ import annotations

from dashboard.service import Backoffice
from dashboard.service.access import Access
from dashboard.service.workflow import owner_after, status_when_owned
from storage.db import Database
from tests.support.backoffice_helpers import account, office_for, seed
from tests.support.helpers import FixedClock


def test_the_rule() -> None:
    assert owner_after("diproses", None, 7) == 7 and owner_after("dihubungi", None, 7) == 7
    assert owner_after("diproses", 3, 7) == 3  # an owner stays
    assert owner_after("dibatalkan", None, 7) is None  # cancelling takes nobody's time
    assert status_when_owned("baru") == "diproses" and status_when_owned("dihubungi") is None


async def test_ubah_status_to_diproses_assigns_the_officer(db: Database, clock: FixedClock) -> None:
    office: Backoffice = office_for(db, clock)
    ani = await account(office, "ani")
    ref = await seed(db)
    await office.change_status(ani, ref, "diproses")
    shown = await office.detail(ani, ref)
    assert (shown.status, shown.assigned_to) == ("diproses", "ani")


async def test_a_supervisors_reassignment_follows_saya_tangani(db: Database, clock: FixedClock) -> None:
    office: Backoffice = office_for(db, clock)
    await account(office, "dedi")
    eka = await account(office, "eka", "supervisor")
    ref = await seed(db)
    await office.reassign(eka, ref, "dedi")
    shown = await office.detail(eka, ref)
    assert (shown.status, shown.assigned_to) == ("diproses", "dedi")  # as "Saya tangani" does
    assert shown.history[-1].note == "Dialihkan ke dedi"
    # An operator at the command line moves nothing into an officer's name.
    operator = Access.operator("ops")
    other = await seed(db)
    await office.change_status(operator, other, "diproses")
    assert (await office.detail(eka, other)).assigned_to is None
