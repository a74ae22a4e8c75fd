"""The staff pages in-process over the real app and database: the session cookie and its idle
end, CSRF on every POST route (enumerated from the app), two officers on one sign-up, refusals
that keep what was typed, call-back times in WIB, and what partners and supervisors see.
The browser tests (test_staff_browser.py) walk the main path in Chromium."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlmodel import col, func, select

from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from dashboard.service import Backoffice
from dashboard.web.session import COOKIE_NAME
from storage.models import AuditLog, CallAttempt, CallbackRequest, Submission
from storage.security_models import StaffLogin
from tests.support.backoffice_helpers import MADIUN, MADURA, PASSWORD, account, seed
from tests.support.helpers import VAULT

SECRET = "staff-pages-test-secret"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    app: FastAPI
    office: Backoffice

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://bot.test")


@asynccontextmanager
async def running(db_url: str, **settings: Any) -> AsyncIterator[Site]:
    values = {"database_url": db_url, "secret_key": SECRET, "staff_idle_minutes": 30} | settings
    service = build_service(load_settings(**values))
    service.engine.vault = VAULT  # the submissions are seeded with the tests' key
    app = create_app(service)
    try:
        yield Site(app, app.state.backoffice)
    finally:
        await service.db.dispose()


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        started.office.vault = VAULT
        yield started


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html
    return found.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/staff/login")
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    return await client.post("/staff/login", data=data)


async def officer(site: Site, username: str, role: str = "staff") -> httpx.AsyncClient:
    await account(site.office, username, role, MADIUN)
    client = site.client()
    done = await log_in(client, username)
    assert done.status_code == 303 and done.headers["location"] == "/staff", done.text
    return client


async def submission(site: Site, reference: str) -> Submission:
    async with site.office.db.reader() as session:
        return (await session.exec(select(Submission).where(Submission.reference == reference))).one()


async def test_the_session_cookie_is_signed_httponly_samesite_and_ends_when_idle(site: Site) -> None:
    client = site.client()
    first = await client.get("/staff/login")
    cookie = first.headers["set-cookie"]
    assert {"HttpOnly", "SameSite=Lax", "Path=/staff"} <= {part.strip() for part in cookie.split(";")}
    assert "Secure" not in cookie
    assert "script-src 'none'" in first.headers["content-security-policy"]
    assert first.headers["cache-control"] == "no-store"

    await account(site.office, "siti", "staff", MADIUN)
    assert (await log_in(client, "siti")).status_code == 303
    assert (await client.get("/staff")).status_code == 200

    # A cookie changed by hand is not a session.
    value = client.cookies[COOKIE_NAME]
    forged = site.client()
    forged.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), path="/staff")
    assert (await forged.get("/staff")).status_code == 303

    # The same session, last used 31 minutes ago with a 30-minute limit: over, and said so.
    copy = site.client()
    copy.cookies.set(COOKIE_NAME, value, path="/staff")
    assert (await copy.get("/staff")).status_code == 200  # a copy works while the session lives
    await age_logins(site, minutes=31)
    sent_back = await copy.get("/staff")
    assert sent_back.status_code == 303 and "reason=idle" in sent_back.headers["location"]
    login_page = await copy.get(sent_back.headers["location"])
    assert "Sesi berakhir karena lama tidak ada kegiatan" in login_page.text
    assert (await client.get("/staff")).status_code == 303  # the session itself, not the copy

    # Log-out ends it, for every copy of the cookie.
    assert (await log_in(client, "siti")).status_code == 303
    copy = site.client()
    copy.cookies.set(COOKIE_NAME, client.cookies[COOKIE_NAME], path="/staff")
    queue = await client.get("/staff")
    out = await client.post("/staff/logout", data={"csrf_token": csrf_of(queue.text)})
    assert out.status_code == 303 and out.headers["location"] == "/staff/login?reason=logout"
    assert (await client.get("/staff")).status_code == 303
    assert (await copy.get("/staff")).status_code == 303


async def age_logins(site: Site, *, minutes: int, begun: bool = False) -> None:
    """Every log-in last used `minutes` earlier (with `begun`: begun that much earlier too)."""
    async with site.office.db.transaction() as session:
        for row in (await session.exec(select(StaffLogin))).all():
            row.seen_at -= timedelta(minutes=minutes)
            if begun:
                row.created_at -= timedelta(minutes=minutes)


async def test_cookie_secure_setting_marks_the_cookie_secure(db_url: str) -> None:
    async with running(db_url, cookie_secure=True) as started:
        answer = await started.client().get("/staff/login")
    assert "Secure" in {part.strip() for part in answer.headers["set-cookie"].split(";")}


async def test_a_password_change_or_a_disabled_account_ends_open_sessions(site: Site) -> None:
    client = await officer(site, "siti")
    assert (await client.get("/staff")).status_code == 200
    await site.office.set_password("cli:admin", "siti", "teh-manis-dingin-42")
    answer = await client.get("/staff")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login")

    assert (await log_in(client, "siti", "teh-manis-dingin-42")).status_code == 303
    assert (await client.get("/staff")).status_code == 200
    await site.office.disable_account("cli:admin", "siti")
    assert (await client.get("/staff")).status_code == 303
    refused = await log_in(client, "siti", "teh-manis-dingin-42")
    assert refused.status_code == 401 and "Nama pengguna atau kata sandi salah." in refused.text


def post_routes(app: FastAPI) -> list[str]:
    """Every POST under /staff, from the app itself (included routers resolved)."""
    paths = (
        (str(context.path), getattr(context, "methods", None) or ())
        for context in iter_route_contexts(app.routes)
    )
    return sorted(
        path
        for path, methods in paths
        if path.startswith("/staff") and "POST" in methods and path != "/staff/{rest:path}"  # no form
    )


async def test_every_staff_post_refuses_a_missing_or_wrong_csrf_token(site: Site) -> None:
    reference = await seed(site.office.db, vault=VAULT)
    async with site.office.db.transaction() as session:
        request = CallbackRequest(
            channel="telegram", branch_code="KC-MADIUN", phone_enc=VAULT.encrypt("+6281")
        )
        session.add(request)
        await session.flush()
        callback_id = str(request.id)
    client = await officer(site, "siti")
    routes = post_routes(site.app)
    assert "/staff/callbacks/{callback_id}/close" in routes
    assert "/staff/submissions/{reference}/status" in routes and "/staff/login" in routes
    form = {
        "status": "dibatalkan",
        "outcome": "berhasil",
        "username": "siti",
        "password": PASSWORD,
        "version": "0",
    }
    for path in routes:
        url = path.replace("{reference}", reference).replace("{callback_id}", callback_id)
        for token in ({}, {"csrf_token": "f" * 64}):
            answer = await client.post(url, data=form | token)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "Formulir kedaluwarsa" in answer.text
    # Nothing happened: not cancelled, not taken, no call, no NIK shown, still logged in.
    stored = await submission(site, reference)
    assert (stored.status, stored.assigned_to_id) == ("baru", None)
    async with site.office.db.reader() as session:
        assert (await session.exec(select(func.count()).select_from(CallAttempt))).one() == 0
        reveals = select(func.count()).select_from(AuditLog)
        shown = reveals.where(col(AuditLog.action).in_(["nik_reveal", "callback_phone_reveal"]))
        assert (await session.exec(shown)).one() == 0
        assert (await session.exec(select(CallbackRequest.status))).one() == "baru"
    assert (await client.get("/staff")).status_code == 200


async def test_a_second_officer_sees_that_someone_else_changed_it_first(site: Site) -> None:
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    dewi = await officer(site, "dewi")
    seen_by_siti = await siti.get(f"/staff/submissions/{reference}")
    version = re.search(r'name="version" value="(\d+)"', seen_by_siti.text)
    assert version is not None

    # Dewi takes it while Siti's page is open.
    page = await dewi.get(f"/staff/submissions/{reference}")
    taken = await dewi.post(
        f"/staff/submissions/{reference}/assign",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1)},
    )
    assert taken.status_code == 303

    # Siti's status change from the old page is not applied; she sees the new state.
    stale = await siti.post(
        f"/staff/submissions/{reference}/status",
        data={"csrf_token": csrf_of(seen_by_siti.text), "version": version.group(1), "status": "dibatalkan"},
    )
    assert stale.status_code == 409
    assert "baru saja diubah oleh petugas lain" in stale.text
    assert 'id="assigned-to">dewi<' in stale.text and '<span class="badge diproses">Diproses<' in stale.text
    assert (await submission(site, reference)).status == "diproses"

    # "Saya tangani" on what Dewi handles: refused with who has it.
    mine = await siti.post(
        f"/staff/submissions/{reference}/assign",
        data={"csrf_token": csrf_of(seen_by_siti.text)},
    )
    assert mine.status_code == 409 and "sudah ditangani dewi" in mine.text


async def test_refused_changes_say_why_and_keep_what_was_typed(site: Site) -> None:
    reference = await seed(site.office.db, vault=VAULT)
    client = await officer(site, "siti")
    page = await client.get(f"/staff/submissions/{reference}")
    csrf = csrf_of(page.text)
    url = f"/staff/submissions/{reference}/status"

    skipped = await client.post(url, data={"csrf_token": csrf, "status": "terdaftar", "kpj": "21012345678"})
    assert skipped.status_code == 409
    assert "tidak bisa langsung" in skipped.text

    await client.post(f"/staff/submissions/{reference}/assign", data={"csrf_token": csrf})
    await client.post(url, data={"csrf_token": csrf, "status": "dihubungi"})
    bad_kpj = await client.post(
        url, data={"csrf_token": csrf, "status": "terdaftar", "kpj": "2101-2345", "note": "sudah dicek"}
    )
    assert bad_kpj.status_code == 422
    assert "Nomor KPJ harus 11 angka" in bad_kpj.text
    assert 'value="2101-2345"' in bad_kpj.text and "sudah dicek</textarea>" in bad_kpj.text
    assert (await submission(site, reference)).status == "dihubungi"


async def test_a_call_back_time_is_read_and_shown_in_wib(site: Site) -> None:
    reference = await seed(site.office.db, vault=VAULT)
    client = await officer(site, "siti")
    page = await client.get(f"/staff/submissions/{reference}")
    answer = await client.post(
        f"/staff/submissions/{reference}/calls",
        data={
            "csrf_token": csrf_of(page.text),
            "outcome": "minta_telepon_lagi",
            "callback_at": "2030-01-02T10:00",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("?ok=call")
    stored = await submission(site, reference)
    assert stored.callback_at is not None and stored.callback_at.isoformat() == "2030-01-02T03:00:00+00:00"
    shown = await client.get(answer.headers["location"])
    assert "Panggilan sudah dicatat." in shown.text
    assert "Telepon lagi: 2 Januari 2030 10.00 WIB" in shown.text

    missing = await client.post(
        f"/staff/submissions/{reference}/calls",
        data={"csrf_token": csrf_of(page.text), "outcome": "minta_telepon_lagi"},
    )
    assert missing.status_code == 422 and "Isi waktu untuk menelepon lagi." in missing.text


async def test_unreadable_filters_are_explained_not_failed(site: Site) -> None:
    await seed(site.office.db, vault=VAULT)
    client = await officer(site, "siti")
    answer = await client.get("/staff", params={"status": "entah", "dari": "kemarin", "cari": "bukan nomor"})
    assert answer.status_code == 200
    assert "Tanggal awal tidak terbaca dan diabaikan." in answer.text
    assert "Status yang dipilih tidak dikenal" in answer.text
    assert "tidak terbaca sebagai nomor pendaftaran, NIK (16 angka), atau nomor HP" in answer.text


async def test_reports_for_supervisors_and_partners_and_not_for_officers(site: Site) -> None:
    for n in range(3):
        await seed(site.office.db, vault=VAULT, attribution="KDP2211" if n else None)
    boss = await officer(site, "bayu", "supervisor")
    report = await boss.get("/staff/reports")
    assert report.status_code == 200
    assert report.text.count("<svg") >= 4 and "Pendaftaran per minggu dan status" in report.text
    table = await boss.get("/staff/reports/csv", params={"tabel": "by_attribution"})
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert "KDP2211,2,0" in table.text.replace("\r", "")
    assert (await boss.get("/staff/audit")).status_code == 200

    await site.office.add_account(
        "cli:admin", "dinas", PASSWORD, role="mitra", branch=None, regencies=["35.77"]
    )
    partner = site.client()
    assert (await log_in(partner, "dinas")).status_code == 303
    home = await partner.get("/staff")
    assert home.status_code == 303 and home.headers["location"] == "/staff/reports"
    figures = await partner.get("/staff/reports")
    assert figures.status_code == 200 and "&lt;5" in figures.text
    assert "Kota Madiun" in figures.text
    assert (await partner.get("/staff/audit")).status_code == 403

    staff = await officer(site, "siti")
    assert (await staff.get("/staff/reports")).status_code == 403
    assert (await staff.get("/staff/audit")).status_code == 403


async def test_a_supervisor_hands_a_sign_up_to_another_officer(site: Site) -> None:
    reference = await seed(site.office.db, vault=VAULT)
    await account(site.office, "dewi", "staff", MADIUN)
    boss = await officer(site, "bayu", "supervisor")
    page = await boss.get(f"/staff/submissions/{reference}")
    assert '<option value="dewi"' in page.text
    moved = await boss.post(
        f"/staff/submissions/{reference}/reassign",
        data={"csrf_token": csrf_of(page.text), "username": "dewi"},
    )
    assert moved.status_code == 303
    shown = await boss.get(moved.headers["location"])
    assert "Pendaftaran sudah dialihkan." in shown.text and 'id="assigned-to">dewi<' in shown.text

    siti = await officer(site, "siti")
    own = await siti.get(f"/staff/submissions/{reference}")
    assert "Alihkan ke petugas" not in own.text
    refused = await siti.post(
        f"/staff/submissions/{reference}/reassign",
        data={"csrf_token": csrf_of(own.text), "username": "siti"},
    )
    assert refused.status_code == 403 and "tidak berhak" in refused.text


async def test_search_finds_by_phone_in_any_format_and_by_reference(site: Site) -> None:
    reference = await seed(site.office.db, n=41, vault=VAULT)  # phone +628123400041
    await seed(site.office.db, n=42, vault=VAULT)
    client = await officer(site, "siti")
    for text in ("0812-3400-041", "+62 812 3400 041", "628123400041", reference.lower().replace("-", "")):
        found = await client.get("/staff", params={"cari": text})
        assert found.status_code == 200
        rows = re.findall(r'class="ref" href="/staff/submissions/([A-Z0-9-]+)"', found.text)
        assert rows == [reference], (text, rows)


async def test_an_admin_sees_every_branch_and_can_narrow_to_one(site: Site) -> None:
    madiun = await seed(site.office.db, vault=VAULT)
    madura = await seed(site.office.db, where=MADURA, vault=VAULT)
    await site.office.add_account("cli:root", "admin", PASSWORD, role="admin", branch=None)
    client = site.client()
    assert (await log_in(client, "admin")).status_code == 303
    everything = await client.get("/staff")
    assert madiun in everything.text and madura in everything.text
    assert '<label for="cabang">Kantor cabang</label>' in everything.text
    one = await client.get("/staff", params={"cabang": "KC-MADURA"})
    assert madura in one.text and madiun not in one.text
    assert (await client.get(f"/staff/submissions/{madiun}")).status_code == 200
    export = await client.get("/staff/export", params={"format": "csv", "cabang": "KC-MADURA"})
    assert "antrean-KC-MADURA-" in export.headers["content-disposition"]
    assert madura in export.text and madiun not in export.text
