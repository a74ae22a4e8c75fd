"""The staff back office's service layer on the real database: the queue, one submission's
actions and status graph, the worker's notifications, log-in throttling, reports and audit."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from dashboard.service import (
    Backoffice,
    Forbidden,
    InvalidInput,
    LoginRefused,
    NotFound,
    QueueFilters,
    Refused,
    Stale,
)
from dashboard.service.accounts import password_problem
from handlers.workdays import add_working_days
from storage.db import Database
from storage.models import AuditLog, Contact, OutboxMessage, Submission
from tests.support.backoffice_helpers import MADURA, PASSWORD, T0, account, nik_for, office_for, seed
from tests.support.helpers import FixedClock


@pytest.fixture
def office(db: Database, clock: FixedClock) -> Backoffice:
    clock.now = T0 + timedelta(days=1)
    return office_for(db, clock)


async def erase(session: object, contact: Contact) -> None:
    """`hapus data`, as the privacy flow does it."""
    from handlers.enrol.fields import FORM
    from storage.submissions import erase_personal_data

    await erase_personal_data(
        session,  # type: ignore[arg-type]
        contact,
        T0,
        columns=FORM.erased_columns,
        answers=FORM.erased_answers,
        note="data dihapus atas permintaan peserta",
    )


async def audit_actions(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    async with db.reader() as session:
        rows = (await session.exec(select(AuditLog).order_by(col(AuditLog.id)))).all()
    return [(r.actor, r.action, r.details) for r in rows]


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.reader() as session:
        return list((await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


# --- the queue -------------------------------------------------------------------------------


async def test_queue_pages_oldest_first_without_gaps_and_only_the_branch(
    db: Database, office: Backoffice
) -> None:
    ani = await account(office, "ani")
    mine = [await seed(db, created_at=T0 + timedelta(minutes=i)) for i in range(120)]
    for i in range(7):
        await seed(db, where=MADURA, created_at=T0 - timedelta(minutes=i))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await office.queue(ani, cursor=cursor)
        pages += 1
        assert len(page.items) <= 50
        seen += [item.reference for item in page.items]
        assert {item.branch_code for item in page.items} == {"KC-MADIUN"}
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and seen == mine
    assert page.counts["baru"] == 120 and sum(page.counts.values()) == 120


async def test_filters_and_counts(db: Database, office: Backoffice, clock: FixedClock) -> None:
    ani = await account(office, "ani")
    old = await seed(db, flags=("age_over_limit",), call_by=date(2026, 11, 2))
    poor = await seed(db, flags=("income_below_floor",), occupation="petani", channel="whatsapp")
    late = await seed(db, created_at=T0 + timedelta(days=10), attribution="KDP2211")
    await office.assign(ani, poor)
    everything = await office.queue(ani)
    assert [i.reference for i in everything.items] == [old, poor, late]
    assert everything.counts == {
        "baru": 2,
        "diproses": 1,
        "dihubungi": 0,
        "terdaftar": 0,
        "ditolak": 0,
        "dibatalkan": 0,
    }

    async def refs(**filters: object) -> list[str]:
        return [i.reference for i in (await office.queue(ani, QueueFilters(**filters))).items]  # type: ignore[arg-type]

    assert await refs(flag="age_over_limit") == [old]
    assert await refs(flag="income_below_floor") == [poor]
    assert await refs(status="diproses") == [poor]
    assert await refs(assigned="me") == [poor]
    assert await refs(assigned="unassigned") == [old, late]
    assert await refs(occupation="petani") == [poor]
    assert await refs(channel="whatsapp") == [poor]
    assert await refs(attribution_code="KDP2211") == [late]
    assert await refs(created_from=date(2026, 11, 5)) == [late]
    assert await refs(created_to=date(2026, 11, 5)) == [old, poor]
    assert await refs(regency_code="35.77") == [old, poor, late]
    # 3 Nov: only the one promised a call by 2 Nov is overdue.
    assert await refs(overdue=True) == [old]
    filtered = await office.queue(ani, QueueFilters(flag="income_below_floor"))
    assert filtered.counts == dict.fromkeys(everything.counts, 0) | {"diproses": 1}  # tabs follow filters
    assert filtered.total == 1 and everything.total == 3
    with pytest.raises(InvalidInput):
        await office.queue(ani, QueueFilters(status="selesai"))


async def test_the_tab_counts_follow_every_change(db: Database, office: Backoffice) -> None:
    """The counts come from a table the database's triggers keep: they match a real count."""
    from sqlalchemy import func

    ani = await account(office, "ani")
    refs = [await seed(db, chat_id=f"c{i}") for i in range(4)]
    await seed(db, where=MADURA)
    await office.assign(ani, refs[0])
    await office.change_status(ani, refs[1], "dibatalkan")
    async with db.transaction() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "c2"))).one()
        await erase(session, contact)
    async with db.reader() as session:
        real = dict(
            (
                await session.exec(
                    select(Submission.status, func.count())
                    .where(Submission.branch_code == "KC-MADIUN")
                    .group_by(Submission.status)
                )
            ).all()
        )
    counts = (await office.queue(ani)).counts
    assert counts == {status: real.get(status, 0) for status in counts}
    assert counts["baru"] == 1 and counts["diproses"] == 1 and counts["dibatalkan"] == 2
    assert sum((await office.queue(await account(office, "root", "admin", None))).counts.values()) == 5


async def test_search_by_reference_nik_and_phone_in_any_format(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    ref = await seed(db, n=41)
    other = await seed(db, n=42, where=MADURA)

    async def search(text: str) -> tuple[str | None, list[str]]:
        page = await office.queue(ani, QueueFilters(search=text))
        return page.search_kind, [i.reference for i in page.items]

    assert await search(ref.lower().replace("-", "")) == ("reference", [ref])
    assert await search("3577 0147 0885 0041") == ("nik", [ref])
    assert await search("0812-3400-041") == ("phone", [ref])
    assert await search("+62 812 3400 041") == ("phone", [ref])
    assert await search("628123400041") == ("phone", [ref])
    # Another branch's person is not found by any key.
    assert await search(nik_for(42)) == ("nik", [])
    assert await search(other) == ("reference", [])
    assert await search("siti") == ("unreadable", [])


async def test_mitra_sees_no_person(db: Database, office: Backoffice) -> None:
    ref = await seed(db)
    dinas = await account(office, "dinas", "mitra", None, regencies=["35.77"])
    with pytest.raises(Forbidden):
        await office.queue(dinas)
    with pytest.raises(Forbidden):
        await office.detail(dinas, ref)


# --- one submission ------------------------------------------------------------------------


async def test_another_branch_is_the_same_as_missing(db: Database, office: Backoffice) -> None:
    budi = await account(office, "budi", where=MADURA)
    ref = await seed(db)
    calls = [
        office.detail(budi, ref),
        office.reveal_nik(budi, ref),
        office.assign(budi, ref),
        office.record_call(budi, ref, "tidak_diangkat"),
        office.change_status(budi, ref, "diproses"),
    ]
    for call in calls:
        with pytest.raises(NotFound) as other_branch:
            await call
        with pytest.raises(NotFound) as missing:
            await office.detail(budi, "ACDE-FGHJ")
        assert other_branch.value.message == missing.value.message
    assert all(action != "detail_view" for _, action, _ in await audit_actions(db))


async def test_detail_masks_the_nik_and_the_reveal_is_audited(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    ref = await seed(db, n=7, flags=("age_over_limit",))
    detail = await office.detail(ani, ref)
    shown = {f.key: f.value for f in detail.fields}
    assert detail.nik_masked == "357701******0007" and shown["nik"] == "357701******0007"
    assert shown["full_name"] == "Warga 7" and shown["phone"] == "0812-3400-007"
    assert shown["income"] == "Rp1.500.000 per bulan" and "Kartoharjo" in (shown["residence"] or "")
    assert detail.programs_label == "JKK + JKM + JHT" and nik_for(7) not in str(detail.fields)
    assert detail.flags == (("age_over_limit", "Usia di atas batas"),)
    assert [f.key for f in detail.fields][:3] == ["nik", "full_name", "birth_date"]
    assert detail.history[0].to_status == "baru" and detail.allowed_statuses == (
        "diproses",
        "ditolak",
        "dibatalkan",
    )
    assert await office.reveal_nik(ani, ref) == nik_for(7)
    entries = await audit_actions(db)
    assert [(a, b) for a, b, _ in entries][-2:] == [("staff:ani", "detail_view"), ("staff:ani", "nik_reveal")]
    assert nik_for(7) not in json.dumps([d for *_, d in entries])


async def test_the_status_graph(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    ref = await seed(db)
    with pytest.raises(Refused) as skipped:
        await office.change_status(ani, ref, "terdaftar", kpj="21012345678")
    assert "tidak bisa langsung" in skipped.value.message and "Terdaftar" in skipped.value.message
    done = await office.assign(ani, ref)
    assert done.status == "diproses" and done.assigned_to == "ani"
    with pytest.raises(Refused) as backwards:
        await office.change_status(ani, ref, "baru")
    assert "kembali" in backwards.value.message
    await office.change_status(ani, ref, "dihubungi", note="Sudah ditelepon")
    with pytest.raises(InvalidInput) as no_kpj:
        await office.change_status(ani, ref, "terdaftar")
    assert no_kpj.value.field == "kpj"
    with pytest.raises(InvalidInput) as bad_kpj:
        await office.change_status(ani, ref, "terdaftar", kpj="12345")
    assert "11 angka" in bad_kpj.value.message
    final = await office.change_status(ani, ref, "terdaftar", kpj="210-1234-5678")
    assert final.kpj_number == "21012345678" and final.allowed_statuses == ()
    assert [h.to_status for h in final.history] == ["baru", "diproses", "dihubungi", "terdaftar"]
    with pytest.raises(Refused) as closed:
        await office.change_status(ani, ref, "dibatalkan")
    assert "sudah final" in closed.value.message


async def test_rejection_needs_a_listed_reason_and_a_note(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    ref = await seed(db)
    with pytest.raises(InvalidInput) as no_reason:
        await office.change_status(ani, ref, "ditolak", note="x")
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidInput):
        await office.change_status(ani, ref, "ditolak", reason="karena", note="x")
    with pytest.raises(InvalidInput) as no_note:
        await office.change_status(ani, ref, "ditolak", reason="sudah_terdaftar")
    assert no_note.value.field == "note"
    done = await office.change_status(ani, ref, "ditolak", reason="sudah_terdaftar", note="KPJ lama aktif")
    assert done.rejection_reason == "Sudah terdaftar sebagai peserta"


async def test_a_second_officer_on_an_old_view_is_told_and_sees_the_new_state(
    db: Database, office: Backoffice
) -> None:
    ani = await account(office, "ani")
    eka = await account(office, "eka", "supervisor")
    ref = await seed(db)
    seen_by_both = (await office.detail(ani, ref)).version
    first = await office.change_status(ani, ref, "diproses", expected_version=seen_by_both)
    with pytest.raises(Stale) as late:
        await office.change_status(eka, ref, "dibatalkan", expected_version=seen_by_both)
    assert "baru saja diubah" in late.value.message
    assert late.value.current.status == "diproses" and late.value.current.version == first.version
    assert (await office.detail(eka, ref)).status == "diproses"


async def test_assignment_and_reassignment(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    dedi = await account(office, "dedi")
    eka = await account(office, "eka", "supervisor")
    await account(office, "budi", where=MADURA)
    ref = await seed(db)
    await office.assign(ani, ref)
    with pytest.raises(Refused) as taken:
        await office.assign(dedi, ref)
    assert "ani" in taken.value.message
    with pytest.raises(Forbidden):
        await office.reassign(dedi, ref, "dedi")
    with pytest.raises(InvalidInput):
        await office.reassign(eka, ref, "budi")  # another branch's officer
    moved = await office.reassign(eka, ref, "dedi")
    assert moved.assigned_to == "dedi"
    assert await office.officers(eka, "KC-MADIUN") == ["ani", "dedi", "eka"]


async def test_call_attempts_and_a_requested_call_back(
    db: Database, office: Backoffice, clock: FixedClock
) -> None:
    ani = await account(office, "ani")
    ref = await seed(db, call_by=date(2026, 11, 10))
    await office.record_call(ani, ref, "tidak_diangkat", note="Tidak aktif")
    with pytest.raises(InvalidInput) as missing:
        await office.record_call(ani, ref, "minta_telepon_lagi")
    assert missing.value.field == "callback_at"
    with pytest.raises(InvalidInput):
        await office.record_call(ani, ref, "minta_telepon_lagi", callback_at=clock.now - timedelta(hours=1))
    later = clock.now + timedelta(hours=3)
    detail = await office.record_call(ani, ref, "minta_telepon_lagi", callback_at=later)
    assert [c.outcome_label for c in detail.calls] == ["Tidak diangkat", "Minta ditelepon lagi"]
    assert detail.calls[0].officer == "ani" and detail.callback_at == later and not detail.overdue
    clock.advance(hours=4)
    page = await office.queue(ani, QueueFilters(overdue=True))
    assert [i.reference for i in page.items] == [ref] and page.items[0].overdue


# --- the worker hears about it ---------------------------------------------------------------


async def test_status_changes_queue_notifications_for_the_worker(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    registered = await seed(db, chat_id="555", channel="telegram")
    rejected = await seed(db, chat_id="6281299", channel="whatsapp")
    woken: list[str] = []
    office.wake = woken.append
    async with db.transaction() as session:  # announcement opt-out does not stop these
        for contact in (await session.exec(select(Contact))).all():
            contact.announcements = False
    await office.change_status(ani, registered, "diproses")
    assert await outbox_rows(db) == []
    await office.change_status(ani, registered, "dihubungi")
    await office.change_status(ani, registered, "terdaftar", kpj="21012345678")
    await office.change_status(ani, rejected, "ditolak", reason="data_tidak_sesuai", note="Nama beda")
    rows = await outbox_rows(db)
    assert [(r.channel, r.chat_id, r.priority) for r in rows] == [
        ("telegram", "555", 1),
        ("telegram", "555", 1),
        ("whatsapp", "6281299", 1),
    ]
    called, joined, refused = (r.payload["text"] for r in rows)
    # Madiun's own number is not sourced yet: the national contact centre is named instead.
    assert "mencoba menghubungi Bapak/Ibu." in called and "di 175" in called and registered in called
    assert "21012345678" in joined and "JKK + JKM + JHT" in joined and "Rp40.900" in joined
    # Where to pay: the places messages/payment.toml confirms, not ones no source confirmed.
    assert "Livin' by Mandiri" in joined and "minimarket" not in joined and "SMS" in joined
    assert "Perlindungan berlaku" not in joined  # a claim no regulation in programs.toml backs (issue 12)
    assert "tidak sama dengan data KTP" in refused and "Nama beda" not in refused
    assert woken == ["telegram", "telegram", "whatsapp"]


async def test_erased_data_stops_notifications(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    ref = await seed(db, chat_id="777")
    await office.change_status(ani, ref, "diproses")
    async with db.transaction() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "777"))).one()
        await erase(session, contact)
    await office.change_status(ani, ref, "dihubungi")
    assert await outbox_rows(db) == []


async def test_status_command_shows_the_new_state(db: Database, chat: object, office: Backoffice) -> None:
    from tests.handlers.test_enrol_flow import HAPPY
    from tests.support.helpers import Chat

    assert isinstance(chat, Chat)
    for line in [*HAPPY, "kirim", "tidak"]:
        await chat.send(line)
    async with db.reader() as session:
        reference = (await session.exec(select(Submission.reference))).one()
    office.vault = chat.engine.vault
    ani = await account(office, "ani")
    await office.change_status(ani, reference, "diproses")
    await office.change_status(ani, reference, "dihubungi")
    await office.change_status(ani, reference, "terdaftar", kpj="21012345678")
    text = await chat.say("status")
    assert f"{reference}" in text and "Terdaftar, nomor KPJ 21012345678" in text


# --- log-in ----------------------------------------------------------------------------------


async def test_wrong_passwords_make_the_address_wait_never_the_owner_elsewhere(
    db: Database, office: Backoffice, clock: FixedClock
) -> None:
    """Five wrong passwords for one account from one address make that pair wait; the owner
    still gets in from a fresh address, so an outsider cannot keep an officer locked out. Twenty
    from one address, for any accounts, make the address wait."""
    await account(office, "ani")
    await account(office, "dedi")
    assert (await office.authenticate("Ani", PASSWORD, "10.0.0.1")).username == "ani"
    for _ in range(4):
        with pytest.raises(LoginRefused) as wrong:
            await office.authenticate("ani", "salah-sekali-ini", "10.0.0.2")
        assert wrong.value.locked_until is None
    with pytest.raises(LoginRefused) as fifth:
        await office.authenticate("ani", "salah-sekali-ini", "10.0.0.2")
    assert fifth.value.locked_until == clock.now + timedelta(minutes=15)
    assert "15 menit" in fifth.value.message
    with pytest.raises(LoginRefused):  # the right password waits too, from that address
        await office.authenticate("ani", PASSWORD, "10.0.0.2")
    assert (await office.authenticate("ani", PASSWORD, "10.0.0.3")).username == "ani"  # the owner
    assert (await office.authenticate("dedi", PASSWORD, "10.0.0.2")).username == "dedi"
    for n in range(15):  # the same address tries other accounts: 20 failures in all
        with pytest.raises(LoginRefused):
            await office.authenticate(f"tamu{n}", "salah-sekali-ini", "10.0.0.2")
    with pytest.raises(LoginRefused) as address_waits:
        await office.authenticate("dedi", PASSWORD, "10.0.0.2")
    assert address_waits.value.locked_until is not None
    clock.advance(minutes=15, seconds=1)
    assert (await office.authenticate("ani", PASSWORD, "10.0.0.2")).role == "staff"
    actions = [action for _, action, _ in await audit_actions(db)]
    assert actions.count("login_failed") == 20 and actions.count("login_locked") >= 2
    eka = await account(office, "eka", "supervisor")
    seen = [(i.actor, i.action) for i in (await office.audit(eka)).items]
    assert ("login:ani", "login_locked") in seen and ("login:ani", "login_failed") in seen
    assert PASSWORD not in json.dumps([d for *_, d in await audit_actions(db)])


def test_weak_passwords_are_refused() -> None:
    for weak in ("pendek", "1234567890123", "aaaaaaaaaaaa", "Password2024!", "ani-rahasia-123", "ani1234567"):
        assert password_problem(weak, "ani"), weak
    assert password_problem(PASSWORD, "ani") is None


async def test_tokens_and_disabled_accounts(db: Database, office: Backoffice) -> None:
    await account(office, "ani")
    token = await office.issue_token("test", "ani")
    access = await office.access_for_token(token)
    assert access is not None and access.username == "ani" and access.via == "token"
    assert await office.access_for_token(token + "x") is None
    await office.disable_account("test", "ani")
    assert await office.access_for_token(token) is None
    with pytest.raises(LoginRefused):
        await office.authenticate("ani", PASSWORD, "10.0.0.1")


# --- reports and audit -----------------------------------------------------------------------


async def test_reports_are_scoped_and_small_counts_hidden_from_partners(
    db: Database, office: Backoffice
) -> None:
    eka = await account(office, "eka", "supervisor")
    dinas = await account(office, "dinas", "mitra", None, regencies=["35.77"])
    for i in range(6):
        await seed(db, occupation="pedagang", created_at=T0 + timedelta(hours=i))
    for i in range(2):
        await seed(db, occupation="petani", created_at=T0 + timedelta(hours=i))
    await seed(db, where=MADURA)
    ani = await account(office, "ani")
    first = (await office.queue(ani)).items[0].reference
    await office.change_status(ani, first, "diproses")
    await office.change_status(ani, first, "dihubungi")
    # For the partner the 6 is hidden too: the total (8, in every other table) minus 6 gives the 2.
    for who, expected in ((eka, {"Pedagang": 6, "Petani": 2}), (dinas, {"Pedagang": "·", "Petani": "<5"})):
        report = await office.reports(who, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        jobs = {row[0]: row[1] for row in report.table("by_occupation").rows}
        assert {str(k).split(" ")[0].split("/")[0].strip(): v for k, v in jobs.items()} == expected, jobs
        weekly = report.table("by_week").rows
        assert weekly[0][0] == "2026-11-02"
    with pytest.raises(Forbidden):
        await office.reports(ani)


async def test_the_audit_of_a_branch(db: Database, office: Backoffice) -> None:
    ani = await account(office, "ani")
    budi = await account(office, "budi", where=MADURA)
    eka = await account(office, "eka", "supervisor")
    boss = await account(office, "root", "admin", None)
    await office.detail(ani, await seed(db))
    await office.detail(budi, await seed(db, where=MADURA))
    branch = await office.audit(eka)
    assert {(i.actor, i.action) for i in branch.items} >= {("staff:ani", "detail_view")}
    assert all(i.branch_code == "KC-MADIUN" for i in branch.items)
    everything = await office.audit(boss, action="detail_view")
    assert {i.actor for i in everything.items} == {"staff:ani", "staff:budi"}
    with pytest.raises(Forbidden):
        await office.audit(ani)


def test_working_days_skip_weekends_and_public_holidays() -> None:
    assert add_working_days(date(2026, 11, 21), 3) == date(2026, 11, 25)  # Sat → Wed
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 29)  # Christmas on Friday
    assert add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)  # Independence Day, Monday
