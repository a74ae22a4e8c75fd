"""Callback requests ("minta ditelepon") from the worker's chat to the branch's dashboard and API.

A worker asks through the real engine; the officer sees it in the `/staff` queue (question,
channel, regency, time, the session when it came from a follow-up, the person's submission),
takes it, reveals the number (audited), and closes it with the call's outcome. The API does
the same. Another branch gets 404 (tests/dashboard/test_isolation.py checks every route for that).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import col, select

from bot.scheduler import Scheduler
from dashboard.service.sessions import create_session
from storage.models import AuditLog, CallbackRequest, Submission
from tests.dashboard.test_staff_pages import Site, csrf_of, officer, running
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.handlers.test_sessions import QUIET, person, spec
from tests.support.backoffice_helpers import MADURA, account, phone_for, seed
from tests.support.helpers import VAULT, Chat, FixedClock

QUESTION = "saya ojol, kalau kecelakaan di jalan klaimnya gimana"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        started.office.vault = VAULT
        yield started


async def ask_for_a_call(chat: Chat) -> None:
    await chat.send("halo")
    await chat.send("minta ditelepon")
    await chat.send("0812-3456-7890")
    await chat.send("kota madiun")
    assert "Kantor Cabang Madiun" in await chat.say(QUESTION)


async def audit_actions(site: Site) -> list[str]:
    async with site.office.db.reader() as session:
        rows = await session.exec(select(AuditLog.action).order_by(col(AuditLog.id)))
        return list(rows.all())


def row_of(html: str, callback_id: int) -> str:
    found = re.search(rf'<tr id="callback-{callback_id}">(.*?)</tr>', html, re.S)
    assert found is not None, html
    return found.group(1)


async def only_request(site: Site) -> CallbackRequest:
    async with site.office.db.reader() as session:
        return (await session.exec(select(CallbackRequest))).one()


async def test_the_branch_sees_takes_calls_and_closes_a_callback(site: Site, chat: Chat) -> None:
    await ask_for_a_call(chat)
    request = await only_request(site)
    assert request.id is not None and request.regency_code == "35.77"
    siti = await officer(site, "siti")

    queue = await siti.get("/staff")
    assert queue.status_code == 200
    section = queue.text.split('id="minta-ditelepon"', 1)[1].split("</section>", 1)[0]
    assert 'Minta ditelepon <span class="count">1</span>' in section
    row = row_of(section, request.id)
    assert QUESTION in row and "Kota Madiun" in row and "21 Nov 10.00" in row  # 03:00 UTC = 10.00 WIB
    assert "0812-****-890" in row and "0812-3456-7890" not in queue.text  # masked in the list
    assert "Saya tangani" in row

    # "Saya tangani" from the queue itself.
    taken = await siti.post(
        f"/staff/callbacks/{request.id}/assign", data={"csrf_token": csrf_of(queue.text), "version": "1"}
    )
    assert taken.status_code == 303
    page = await siti.get(taken.headers["location"])
    assert "sekarang Bapak/Ibu tangani" in page.text and '<strong id="assigned-to">siti</strong>' in page.text
    assert "0812-3456-7890" not in page.text

    # The number, once, audited.
    shown = await siti.post(f"/staff/callbacks/{request.id}/phone", data={"csrf_token": csrf_of(page.text)})
    assert shown.status_code == 200 and 'href="tel:+6281234567890">0812-3456-7890</a>' in shown.text
    actions = [a for a in await audit_actions(site) if a.startswith("callback_") and a != "callback_view"]
    assert actions == ["callback_assign", "callback_phone_reveal"]

    # Not reached: a note is required; the form keeps what was chosen.
    refused = await siti.post(
        f"/staff/callbacks/{request.id}/close",
        data={"csrf_token": csrf_of(shown.text), "outcome": "tidak_terhubung", "note": ""},
    )
    assert refused.status_code == 422 and "Tulis catatan" in refused.text
    closed = await siti.post(
        f"/staff/callbacks/{request.id}/close",
        data={"csrf_token": csrf_of(refused.text), "outcome": "tidak_terhubung", "note": "3x tidak diangkat"},
    )
    assert closed.status_code == 303
    stored = await only_request(site)
    assert (stored.status, stored.note, stored.handled_by) == (
        "tidak_terhubung",
        "3x tidak diangkat",
        "staff:siti",
    )
    assert (await audit_actions(site))[-1] == "callback_closed"
    # The supervisor reads it in the audit log, in words, without the number or the question.
    bayu = await officer(site, "bayu", "supervisor")
    audit = (await bayu.get("/staff/audit")).text
    assert "Menampilkan nomor HP permintaan telepon" in audit and "Menutup permintaan telepon" in audit
    assert "+6281234567890" not in audit and QUESTION not in audit
    # Closed: no longer waiting in the queue, listed under its status.
    queue = await siti.get("/staff")
    assert 'Minta ditelepon <span class="count">0</span>' in queue.text
    assert QUESTION in (await siti.get("/staff/callbacks?status=tidak_terhubung")).text
    again = await siti.post(
        f"/staff/callbacks/{request.id}/close",
        data={"csrf_token": csrf_of(queue.text), "outcome": "selesai"},
    )
    assert again.status_code == 409 and "sudah ditutup" in again.text


async def test_another_officer_cannot_take_it_and_the_oldest_is_first(
    site: Site, chat: Chat, clock: FixedClock
) -> None:
    await ask_for_a_call(chat)
    clock.advance(minutes=30)
    later = person(chat, "6281300002222")
    await later.send("minta ditelepon")
    await later.send("0813-0000-2222")
    await later.send("kota madiun")
    await later.send("bisa daftarkan istri saya?")
    siti, dewi = await officer(site, "siti"), await officer(site, "dewi")
    listing = (await siti.get("/staff/callbacks")).text
    assert listing.index(QUESTION) < listing.index("bisa daftarkan istri saya?")
    first = min(r.id or 0 for r in await requests(site))
    page = await siti.get(f"/staff/callbacks/{first}")
    await siti.post(f"/staff/callbacks/{first}/assign", data={"csrf_token": csrf_of(page.text)})
    page = await dewi.get(f"/staff/callbacks/{first}")
    refused = await dewi.post(
        f"/staff/callbacks/{first}/close", data={"csrf_token": csrf_of(page.text), "outcome": "selesai"}
    )
    assert refused.status_code == 409 and "sudah ditangani siti" in refused.text


async def requests(site: Site) -> list[CallbackRequest]:
    async with site.office.db.reader() as session:
        return list((await session.exec(select(CallbackRequest))).all())


async def test_a_follow_up_asking_for_help_shows_its_session_and_the_submission_is_linked(
    site: Site, chat: Chat, clock: FixedClock
) -> None:
    today = spec(capacity=5, starts_at=datetime(2026, 11, 21, 9), ends_at=datetime(2026, 11, 21, 12))
    social = await create_session(site.office.db, today, actor="staff", branches=None, now=clock())
    budi = person(chat, "6281999")
    await budi.send(kind="start", start_payload=f"s_{social.code}")
    clock.now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    await Scheduler(site.office.db, quiet=QUIET, followup_days=3, clock=clock).tick()
    await budi.send(kind="option", option_id=f"followup.sulit.{social.id}")
    # The same person who once signed up (the submission is linked from the request).
    await run(chat, HAPPY)
    await chat.send("kirim")
    assert "Apa yang ingin" in await chat.say("minta ditelepon")  # number and place already known
    assert "Kantor Cabang Madiun" in await chat.say(QUESTION)

    siti = await officer(site, "siti")
    page = (await siti.get("/staff/callbacks")).text
    followup = next(r for r in await requests(site) if r.session_id is not None)
    row = row_of(page, followup.id or 0)
    assert f'Tindak lanjut sosialisasi <span class="ref">{social.code}</span>' in row
    assert "Caranya/dokumen sulit" in row and "Kota Madiun" in row
    asked = next(r for r in await requests(site) if r.session_id is None)
    linked = re.search(r'href="/staff/submissions/([A-Z0-9-]+)"', row_of(page, asked.id or 0))
    assert linked is not None
    detail = await siti.get(f"/staff/submissions/{linked.group(1)}")
    assert detail.status_code == 200


async def test_the_api_lists_takes_reveals_and_closes(site: Site, chat: Chat) -> None:
    await ask_for_a_call(chat)
    await account(site.office, "ani")
    await account(site.office, "rudi", where=MADURA)
    token = await site.office.issue_token("test", "ani")
    other = await site.office.issue_token("test", "rudi")

    def client(bearer: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=site.app),
            base_url="http://bot.test",
            headers={"Authorization": f"Bearer {bearer}"},
        )

    async with client(token) as api, client(other) as stranger:
        listed = (await api.get("/api/v1/callbacks")).json()
        (item,) = listed["items"]
        assert item["question"] == QUESTION and item["channel"] == "test"
        assert item["regency_name"] == "Kota Madiun" and item["phone_masked"] == "0812-****-890"
        assert listed["counts"]["baru"] == 1
        assert (await stranger.get("/api/v1/callbacks")).json()["items"] == []
        assert (await stranger.get(f"/api/v1/callbacks/{item['id']}")).status_code == 404
        taken = (await api.post(f"/api/v1/callbacks/{item['id']}/assign")).json()
        assert (taken["status"], taken["assigned_to"]) == ("ditangani", "ani")
        phone = (await api.post(f"/api/v1/callbacks/{item['id']}/phone")).json()
        assert phone["phone"] == "+6281234567890"
        bad = await api.post(f"/api/v1/callbacks/{item['id']}/close", json={"outcome": "tidak_terhubung"})
        assert bad.status_code == 422
        done = await api.post(
            f"/api/v1/callbacks/{item['id']}/close", json={"outcome": "selesai", "note": "sudah dijelaskan"}
        )
        assert done.status_code == 200 and done.json()["status"] == "selesai"
        assert (await api.get("/api/v1/callbacks")).json()["items"] == []
        assert len((await api.get("/api/v1/callbacks?status=all")).json()["items"]) == 1
    assert "callback_phone_reveal" in await audit_actions(site)


async def test_a_request_without_a_number_is_called_on_the_number_of_the_sign_up(site: Site) -> None:
    """A follow-up from Telegram carries no number; the person's sign-up in the branch has one."""
    reference = await seed(site.office.db, n=5, vault=VAULT, channel="telegram")
    async with site.office.db.transaction() as session:
        submission = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        request = CallbackRequest(
            contact_id=submission.contact_id, channel="telegram", branch_code="KC-MADIUN"
        )
        session.add(request)
        await session.flush()
        request_id = request.id
    await account(site.office, "ani")
    token = await site.office.issue_token("test", "ani")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://bot.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        item = (await api.get(f"/api/v1/callbacks/{request_id}")).json()
        assert item["phone_masked"] == "0812-****-005" and item["submissions"] == [reference]
        shown = (await api.post(f"/api/v1/callbacks/{request_id}/phone")).json()
        assert shown["phone"] == phone_for(5)
