"""The team service on the real database: who may see and change accounts, disabling an officer
hands their open sign-ups and callback requests on (audited per item), and each officer's
workload (open sign-ups, overdue promises, calls today)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from dashboard.service import Backoffice, Forbidden, InvalidInput, Refused
from dashboard.service.accounts import by_username
from dashboard.service.team import TeamOffice
from storage.db import Database
from storage.models import AuditLog, CallbackRequest, Submission
from tests.support.backoffice_helpers import MADURA, PASSWORD, T0, account, office_for, seed
from tests.support.helpers import FixedClock

NEW_PASSWORD = "teh-poci-sore-hari-9"


@pytest.fixture
def office(db: Database, clock: FixedClock) -> Backoffice:
    clock.now = T0 + timedelta(days=1)
    return office_for(db, clock)


@pytest.fixture
def team(office: Backoffice) -> TeamOffice:
    return TeamOffice(office.db, office.clock)


async def callback(db: Database, branch: str = "KC-MADIUN") -> int:
    async with db.transaction() as session:
        request = CallbackRequest(channel="telegram", branch_code=branch, created_at=T0)
        session.add(request)
        await session.flush()
        assert request.id is not None
        return request.id


async def owners(db: Database) -> dict[str, int | None]:
    async with db.reader() as session:
        rows = (await session.exec(select(Submission.reference, Submission.assigned_to_id))).all()
    return dict(rows)


async def audit(db: Database, action: str) -> list[dict[str, object]]:
    async with db.reader() as session:
        rows = (await session.exec(select(AuditLog).where(col(AuditLog.action) == action))).all()
    return [dict(r.details) | {"actor": r.actor} for r in rows]


async def test_who_sees_the_team_and_who_may_change_it(office: Backoffice, team: TeamOffice) -> None:
    admin = await account(office, "ani.admin", "admin", None)
    boss = await account(office, "bayu.kabid", "supervisor")
    siti = await account(office, "siti", "staff")
    await account(office, "made", "staff", MADURA)
    partner = await account(office, "mitra.pemkot", "mitra", None, regencies=["35.77"])

    await team.create(admin, username="Dewi", password=PASSWORD, role="staff", branch="KC-MADIUN")
    everyone = await team.team(admin)
    assert {a.username for a in everyone.accounts} == {
        "ani.admin", "bayu.kabid", "siti", "made", "mitra.pemkot", "dewi",
    }  # fmt: skip
    assert everyone.may_edit
    madura = await team.team(admin, "KC-MADURA")
    assert [a.username for a in madura.accounts] == ["made"]

    branch = await team.team(boss)
    assert [a.username for a in branch.accounts] == ["bayu.kabid", "dewi", "siti"]
    assert not branch.may_edit
    for caller in (siti, partner):
        with pytest.raises(Forbidden):
            await team.team(caller)
    with pytest.raises(Forbidden):
        await team.create(boss, username="eko", password=PASSWORD, role="staff", branch="KC-MADIUN")
    with pytest.raises(Forbidden):
        await team.disable(boss, "siti")
    with pytest.raises(InvalidInput) as weak:
        await team.create(admin, username="eko", password="rahasia", role="staff", branch="KC-MADIUN")
    assert weak.value.field == "password"
    with pytest.raises(InvalidInput) as branchless:
        await team.create(admin, username="eko", password=PASSWORD, role="staff", branch=None)
    assert branchless.value.field == "branch"
    created = await audit(office.db, "account_created")
    assert created[-1] == {"username": "dewi", "role": "staff", "actor": "staff:ani.admin"}


async def test_disabling_hands_open_work_back_to_the_queue_audited_per_item(
    office: Backoffice, team: TeamOffice, db: Database
) -> None:
    admin = await account(office, "ani.admin", "admin", None)
    siti = await account(office, "siti", "staff")
    taken = [await seed(db) for _ in range(3)]
    for reference in taken:
        await office.assign(siti, reference)
    done = await seed(db)
    await office.assign(siti, done)
    await office.change_status(siti, done, "dibatalkan")  # finished work stays hers
    request = await callback(db)
    await office.take_callback(siti, request)

    moved = await team.disable(admin, "siti")
    assert sorted(moved.submissions) == sorted(taken) and moved.callbacks == (request,) and moved.to is None
    now_owned = await owners(db)
    assert all(now_owned[r] is None for r in taken) and now_owned[done] == siti.account_id
    async with db.reader() as session:
        row = await session.get(CallbackRequest, request)
        assert row is not None and (row.status, row.assigned_to_id) == ("baru", None)
        account_row = await by_username(session, "siti")
        assert account_row is not None and account_row.disabled_at is not None
    handed = await audit(db, "handover")
    assert sorted(str(h["reference"]) for h in handed) == sorted(taken)
    assert {(h["from"], h["to"], h["actor"]) for h in handed} == {("siti", "antrean", "staff:ani.admin")}
    assert (await audit(db, "callback_handover"))[0]["callback"] == request
    assert await office.access_for_account(siti.account_id or 0) is None  # her pages end

    # Re-enabled: she logs in again; her old work stays with the queue.
    await team.enable(admin, "siti")
    assert await office.authenticate("siti", PASSWORD, "10.0.0.9")
    assert (await audit(db, "account_enabled"))[0]["username"] == "siti"


async def test_disabling_can_hand_the_work_to_a_colleague_of_the_same_branch(
    office: Backoffice, team: TeamOffice, db: Database
) -> None:
    admin = await account(office, "ani.admin", "admin", None)
    siti = await account(office, "siti", "staff")
    dewi = await account(office, "dewi", "staff")
    await account(office, "made", "staff", MADURA)
    reference = await seed(db)
    await office.assign(siti, reference)
    request = await callback(db)
    await office.take_callback(siti, request)

    for wrong in ("made", "siti", "nobody"):  # another branch, herself, unknown
        with pytest.raises(InvalidInput):
            await team.disable(admin, "siti", hand_to=wrong)
    assert (await owners(db))[reference] == siti.account_id  # a refusal changes nothing

    moved = await team.disable(admin, "siti", hand_to="dewi")
    assert moved.to == "dewi"
    assert (await owners(db))[reference] == dewi.account_id
    async with db.reader() as session:
        row = await session.get(CallbackRequest, request)
        assert row is not None and (row.status, row.assigned_to_id) == ("ditangani", dewi.account_id)
    assert (await audit(db, "handover"))[0]["to"] == "dewi"


async def test_reset_role_and_the_admins_own_account(
    office: Backoffice, team: TeamOffice, db: Database
) -> None:
    admin = await account(office, "ani.admin", "admin", None)
    siti = await account(office, "siti", "staff")
    await team.reset_password(admin, "siti", NEW_PASSWORD)
    assert await office.access_for_account(siti.account_id or 0) is not None
    assert await office.authenticate("siti", NEW_PASSWORD, "10.0.0.9")

    await team.change_role(admin, "siti", "supervisor", "KC-MADIUN")
    promoted = await office.access_for_account(siti.account_id or 0)
    assert promoted is not None and promoted.role == "supervisor" and promoted.may_reassign
    changed = await audit(db, "role_changed")
    assert changed[0]["role_from"] == "staff" and changed[0]["role_to"] == "supervisor"
    with pytest.raises(InvalidInput):
        await team.change_role(admin, "siti", "supervisor", "KC-NOWHERE")
    with pytest.raises(InvalidInput):
        await team.change_role(admin, "siti", "kepala", "KC-MADIUN")
    with pytest.raises(Refused):
        await team.disable(admin, "ani.admin")
    with pytest.raises(Refused):
        await team.change_role(admin, "ani.admin", "staff", "KC-MADIUN")


async def test_workload_counts_open_work_overdue_promises_and_calls_today(
    office: Backoffice, team: TeamOffice, db: Database, clock: FixedClock
) -> None:
    boss = await account(office, "bayu.kabid", "supervisor")
    siti = await account(office, "siti", "staff")
    await account(office, "dewi", "staff")
    fresh = [await seed(db, created_at=T0) for _ in range(2)]
    late = await seed(db, created_at=T0 - timedelta(days=10), call_by=(T0 - timedelta(days=5)).date())
    for reference in [*fresh, late]:
        await office.assign(siti, reference)
    await office.record_call(siti, fresh[0], "tidak_diangkat")
    await office.record_call(siti, fresh[1], "berhasil")
    request = await callback(db)
    await office.take_callback(siti, request)

    loads = (await team.team(boss)).workload
    assert set(loads) == {"bayu.kabid", "siti", "dewi"}
    mine = loads["siti"]
    assert (mine.open_submissions, mine.open_callbacks, mine.overdue, mine.calls_today) == (3, 1, 1, 2)
    assert loads["dewi"].open_submissions == 0

    await office.close_callback(siti, request, "selesai")
    assert (await team.team(boss)).workload["siti"].calls_today == 3
    clock.advance(days=1)
    assert (await team.team(boss)).workload["siti"].calls_today == 0  # a new day
