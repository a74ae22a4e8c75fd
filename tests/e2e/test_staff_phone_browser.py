"""The defects officers meet on day one, in a real browser (Debian's chromium through Playwright)
against `bpu-bot serve`, as test_staff_browser.py does (its module fixtures, its own server).

Every staff page at 360 px and 1366 px with a long word in notes and a sign-up with two flags:
no sideways scrolling, and no serious or critical axe-core violation (tests/support/axe/). Then
the idle time-out that keeps a typed note, the broadcast that asks before sending, Indonesian
everywhere, one ownership rule, the notice after a successful call, and the smaller ones.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import col, select

from dashboard.service import Backoffice
from storage.crypto import Vault
from storage.db import Database
from storage.models import StaffAccount, Submission
from storage.security_models import StaffLogin
from storage.types import utcnow
from tests.e2e.test_staff_browser import (  # noqa: F401 - module fixtures, each module runs its own server
    PII_KEY,
    Site,
    browser,
    log_in,
    new_context,
    screenshot,
    site,
)
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.browser_checks import axe_violations, overflow, run_aside
from tests.support.staff_seed import PASSWORD, TELEGRAM_CHAT

pytestmark = pytest.mark.slow

# A pasted link and a pasted number: one word each, longer than any phone is wide.
LONG_LINK = "https://drive.google.com/file/d/" + "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" * 4 + "/view"
LONG_NUMBER = "3577" + "0123456789" * 8
PHONE = {"width": 360, "height": 740}
INTERNAL_KEYS = ("birth_check", "occupation_other", "income_check", "current_address", "region_confirm",
                 "full_name", "regency", "district", "console")  # fmt: skip
DESKTOP = {"width": 1366, "height": 900}


async def _prepare(web: Site) -> None:
    db = Database(web.db_url)
    try:
        backoffice = Backoffice(db, Vault(PII_KEY), CATALOGUE)
        await backoffice.add_account(
            "cli:test", "rahma.mitra", PASSWORD, role="mitra", branch=None, regencies=["35.77"]
        )
        await backoffice.add_account("cli:test", "admin.pusat", PASSWORD, role="admin", branch=None)
        async with db.transaction() as session:
            await session.exec(
                update(Submission)
                .where(col(Submission.reference) == web.seeded.telegram_ref)
                .values(flags=["age_over_limit", "income_below_floor"])
            )
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def prepared(site: Site) -> Site:  # noqa: F811
    """Two flags on Siti's sign-up, a mitra and an admin."""
    run_aside(_prepare(site))
    return site


async def _age_logins(web: Site, username: str, *, idle: bool) -> None:
    """Makes `username`'s live log-ins idle (last seen long ago) or too old (begun long ago)."""
    db = Database(web.db_url)
    try:
        async with db.transaction() as session:
            account = (
                await session.exec(select(StaffAccount).where(col(StaffAccount.username) == username))
            ).one()
            long_ago = utcnow() - timedelta(days=2)
            values = {"seen_at": long_ago} if idle else {"created_at": long_ago}
            if not idle:  # a password set before that log-in began, as in life
                account.password_changed_at = long_ago - timedelta(days=1)
            await session.exec(
                update(StaffLogin)
                .where(col(StaffLogin.account_id) == account.id, col(StaffLogin.ended_at).is_(None))
                .values(**values)
            )
    finally:
        await db.dispose()


def logged_in(browser: Any, web: Site, username: str, **extra: Any) -> tuple[Any, Any]:  # noqa: F811
    context = new_context(browser, bypass_csp=True, **extra)  # bypass: only so axe can run
    page = context.new_page()
    log_in(page, web, username)
    page.wait_for_url(lambda url: "/staff/login" not in url)
    return context, page


def check_page(page: Any, failures: list[str], name: str, *, axe: bool = True) -> None:
    """At the page's current width: no sideways scrolling and (when `axe`) no serious violation."""
    width = page.viewport_size["width"]
    if problems := overflow(page):
        failures.append(f"{name} at {width}px scrolls sideways: {problems}")
    if axe:
        for violation in axe_violations(page):
            failures.append(
                f"{name} at {width}px axe {violation['impact']} {violation['id']}: "
                f"{violation['help']} {violation['nodes']}"
            )


def visit_all(page: Any, web: Site, paths: dict[str, str], failures: list[str]) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        for name, path in paths.items():
            response = page.goto(web.url(path))
            assert response is not None and response.status < 500, (name, response and response.status)
            check_page(page, failures, name)


def test_every_staff_page_fits_a_phone_and_passes_axe(browser: Any, prepared: Site) -> None:  # noqa: F811
    site = prepared  # noqa: F811 - the fixture, prepared
    reference = site.seeded.telegram_ref
    context, page = logged_in(browser, site, "siti.petugas")
    failures: list[str] = []
    try:
        page.set_viewport_size(PHONE)
        # A long word in a call note and in a status note, typed on the phone.
        page.goto(site.url(f"/staff/submissions/{reference}"))
        # On a phone the actions come before the data cards.
        handle = page.locator("#handle-h").bounding_box()
        data = page.locator("#data-h").bounding_box()
        assert handle is not None and data is not None and handle["y"] < data["y"], (handle, data)
        page.get_by_label("Catatan (tanpa data pribadi)").fill(f"Kirim berkas lewat {LONG_LINK}")
        page.get_by_role("button", name="Simpan panggilan").click()
        expect(page.locator("#calls")).to_contain_text("drive.google.com")
        page.get_by_label("Catatan", exact=True).fill(LONG_NUMBER)
        page.get_by_role("button", name="Simpan status").click()
        expect(page.locator("#history")).to_contain_text(LONG_NUMBER[:20])
        check_page(page, failures, "detail with long words")
        nik = page.get_by_role("button", name="Tampilkan NIK").bounding_box()
        assert nik is not None and nik["width"] > nik["height"], nik  # not drawn vertically

        # The queue's cards: the row with two flags shows its values inside the screen.
        page.goto(site.url(f"/staff?cari={reference}"))
        card = page.locator("table.queue tbody tr").first
        expect(card.locator(".badge.flag")).to_have_count(2)
        for cell in card.locator("td").all():
            box = cell.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], cell.inner_text()
        page.goto(site.url("/staff"))
        caption = page.locator("table.queue caption").bounding_box()
        assert caption is not None and caption["height"] < 80, caption  # a line, not a column of letters
        page.evaluate("window.scrollBy(0, document.querySelector('nav.tabs').getBoundingClientRect().top)")
        screenshot(page, "staff-queue-phone.png")

        # A session of its own, for the session pages.
        page.goto(site.url("/staff/sessions"))
        page.get_by_label("Judul acara").fill("Sosialisasi pedagang " + LONG_NUMBER)
        page.get_by_label("Tempat (untuk tatap muka)").fill("Balai Kelurahan Kartoharjo")
        page.get_by_label("Kabupaten/kota").select_option("35.77")
        page.get_by_label("Kecamatan").select_option("Kartoharjo")  # a list, not free text
        page.get_by_label("Mulai (waktu setempat)").fill("2030-03-05T09:00")
        page.get_by_label("Selesai (waktu setempat)").fill("2030-03-05T11:00")
        page.get_by_label("Penyelenggara").fill("Dinas Koperasi dan UKM Kota Madiun")
        page.get_by_label("Kapasitas (orang)").fill("120")
        page.get_by_role("button", name="Buat acara").click()
        expect(page.get_by_text("Acara sudah dibuat")).to_be_visible()
        match = re.search(r"/staff/sessions/([A-Z0-9]+)", page.url)
        assert match is not None, page.url
        code = match.group(1)

        callback = page.request.get(site.url("/staff/callbacks"))
        callback_id = re.search(r'href="/staff/callbacks/(\d+)"', callback.text())
        assert callback_id is not None
        paths = {
            "queue": "/staff",
            "queue filtered": "/staff?status=diproses&kanal=telegram",
            "detail": f"/staff/submissions/{reference}",
            "detail (whatsapp)": f"/staff/submissions/{site.seeded.whatsapp_ref}",
            "callbacks": "/staff/callbacks",
            "callback": f"/staff/callbacks/{callback_id.group(1)}",
            "sessions": "/staff/sessions",
            "session": f"/staff/sessions/{code}",
            "poster": f"/staff/sessions/{code}/poster",
            "broadcasts": "/staff/broadcasts",
            "inbox": "/staff/inbox",
            "conversation": f"/staff/submissions/{reference}/conversation",
            "imports": "/staff/imports",
            "arrears": "/staff/arrears",
            "not found": "/staff/submissions/ZZZZ-ZZZZ",
            "unknown page": "/staff/tidak-ada",
        }
        page.goto(site.url("/staff/broadcasts"))
        steps = page.locator("#step option").all_inner_texts()
        assert "Kabupaten/kota" in steps and "Alamat domisili" in steps
        assert not set(steps) & set(INTERNAL_KEYS), steps
        visit_all(page, site, paths, failures)
    finally:
        context.close()

    context, page = logged_in(browser, site, "bayu.kabid")
    try:
        supervisor_pages = {
            "reports": "/staff/reports",
            "audit": "/staff/audit",
            "team": "/staff/accounts",
            "saved replies": "/staff/replies",
        }
        visit_all(page, site, supervisor_pages, failures)
        # No internal key or English: form steps in words, counts without a decimal point.
        page.goto(site.url("/staff/reports"))
        for details in page.locator("details").all():
            details.evaluate("e => e.open = true")
        shown = page.locator("main").inner_text()
        for key in INTERNAL_KEYS:
            assert key not in shown, key
        assert not re.search(r"\b\d+\.0\b", shown)
        page.goto(site.url("/staff/audit"))
        assert (
            "via:" not in page.locator("main").inner_text() and "{" not in page.locator("main").inner_text()
        )
    finally:
        context.close()

    context, page = logged_in(browser, site, "rahma.mitra")
    try:
        # A mitra sees figures only: no queue in the menu.
        menu = page.get_by_role("navigation", name="Menu utama")
        expect(menu.get_by_role("link", name="Antrean")).to_have_count(0)
        mitra_pages = {"mitra reports": "/staff/reports", "mitra sessions": "/staff/sessions"}
        visit_all(page, site, mitra_pages, failures)
    finally:
        context.close()

    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    try:
        visit_all(page, site, {"log-in": "/staff/login"}, failures)
    finally:
        context.close()
    assert not failures, "\n".join(failures)


def fill_log_in(page: Any, username: str) -> None:
    """Logs in on the log-in page the browser is on."""
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_an_idle_time_out_keeps_the_note_and_returns_to_the_page(browser: Any, prepared: Site) -> None:  # noqa: F811
    web = prepared
    reference = web.seeded.whatsapp_ref
    context, page = logged_in(browser, web, "dewi.petugas")
    try:
        # Nobody logged in yet: the log-in page says why it appears.
        fresh = browser.new_context()
        anonymous = fresh.new_page()
        anonymous.goto(web.url("/staff/callbacks"))
        expect(anonymous.get_by_text("Silakan masuk dengan akun petugas")).to_be_visible()
        fresh.close()

        page.goto(web.url(f"/staff/submissions/{reference}"))
        note = "Peserta minta dikirimi formulir lewat WA, telepon lagi Senin"
        page.get_by_label("Catatan (tanpa data pribadi)").fill(note)
        run_aside(_age_logins(web, "dewi.petugas", idle=True))  # the lunch break
        page.get_by_role("button", name="Simpan panggilan").click()
        page.wait_for_url("**/staff/login**")
        expect(page.get_by_text("Sesi berakhir karena lama tidak ada kegiatan")).to_be_visible()
        expect(page.get_by_text("Isian yang belum tersimpan akan ditampilkan lagi")).to_be_visible()
        fill_log_in(page, "dewi.petugas")
        page.wait_for_url(web.url(f"/staff/submissions/{reference}"))  # the page it came from
        expect(page.get_by_role("status").filter(has_text=note)).to_be_visible()  # shown back
        assert "Method Not Allowed" not in page.content()

        # A form's address opened as a page goes to its page, never "Method Not Allowed".
        response = page.goto(web.url(f"/staff/submissions/{reference}/calls"))
        assert response is not None and response.status == 200
        assert page.url == web.url(f"/staff/submissions/{reference}")

        # The absolute lifetime: the log-in page says so, and comes back to the page.
        run_aside(_age_logins(web, "dewi.petugas", idle=False))
        page.goto(web.url("/staff/callbacks"))
        page.wait_for_url("**/staff/login**")
        expect(page.get_by_text("Sesi berakhir karena sudah terlalu lama sejak masuk")).to_be_visible()
        fill_log_in(page, "dewi.petugas")
        page.wait_for_url(web.url("/staff/callbacks"))
    finally:
        context.close()


def test_a_broadcast_asks_first_and_to_nobody_cannot_be_sent(browser: Any, prepared: Site) -> None:  # noqa: F811
    web = prepared
    context, page = logged_in(browser, web, "siti.petugas")
    try:
        page.set_viewport_size(PHONE)
        page.goto(web.url("/staff/broadcasts"))
        page.get_by_label("Isi pesan").fill("Sosialisasi Sabtu 09.00 di Balai Kelurahan Kartoharjo.")
        page.get_by_label("Kabupaten/kota").select_option("35.21")  # Ngawi: nobody subscribed there
        page.get_by_role("button", name="Kirim siaran").click()
        confirm = page.locator("#confirm-send")
        expect(confirm).to_contain_text("Tidak ada penerima yang cocok")
        expect(confirm.get_by_role("button")).to_have_count(0)  # nothing to press
        failures: list[str] = []
        check_page(page, failures, "broadcast refused")
        assert not failures, failures
        page.goto(web.url("/staff/broadcasts"))
        expect(page.get_by_text("Belum ada siaran.")).to_be_visible()  # nothing was created
    finally:
        context.close()


def test_ownership_follows_one_rule_and_the_notice_follows_the_call(browser: Any, prepared: Site) -> None:  # noqa: F811
    web = prepared
    context, page = logged_in(browser, web, "siti.petugas")
    try:
        # "Ubah status" to Diproses without "Saya tangani": the officer who did it holds it.
        page.goto(web.url("/staff?status=baru"))
        reference = page.locator("table.queue a.ref").first.inner_text()
        page.locator("table.queue a.ref").first.click()
        expect(page.locator("#assigned-to")).to_have_text("belum ada")
        page.get_by_label("Status baru").select_option("diproses")
        page.get_by_role("button", name="Simpan status").click()
        expect(page.locator("h1 .badge").first).to_have_text("Diproses")
        expect(page.locator("#assigned-to")).to_have_text("siti.petugas")

        # A call that reached Siti, then Dihubungi: she is thanked, not told we tried.
        page.goto(web.url(f"/staff/submissions/{web.seeded.telegram_ref}"))
        if page.get_by_role("button", name="Saya tangani").count():
            page.get_by_role("button", name="Saya tangani").click()
        page.get_by_label("Hasil panggilan").select_option("berhasil")
        page.get_by_role("button", name="Simpan panggilan").click()
        expect(page.locator("#calls")).to_contain_text("Berhasil")
        page.get_by_label("Status baru").select_option("dihubungi")
        page.get_by_role("button", name="Simpan status").click()
        expect(page.get_by_text("Pesan untuk peserta sudah masuk antrean kirim")).to_be_visible()
        told = web.telegram.wait_for(
            lambda: [
                c
                for c in web.telegram.sent(int(TELEGRAM_CHAT))
                if web.seeded.telegram_ref in c.params["text"] and "📞" in c.params["text"]
            ],
            20,
            "the dihubungi notification",
        )
        assert "Terima kasih sudah berbicara" in told[-1].params["text"]
        assert "mencoba menghubungi" not in told[-1].params["text"]
    finally:
        context.close()

    context, page = logged_in(browser, web, "bayu.kabid")
    try:
        # A supervisor hands a new sign-up to an officer: Diproses, as "Saya tangani" does.
        page.goto(web.url("/staff?status=baru"))
        other = page.locator("table.queue a.ref").first.inner_text()
        assert other != reference
        page.locator("table.queue a.ref").first.click()
        page.get_by_label("Alihkan ke petugas").select_option("dewi.petugas")
        page.get_by_role("button", name="Alihkan").click()
        expect(page.locator("#assigned-to")).to_have_text("dewi.petugas")
        expect(page.locator("h1 .badge").first).to_have_text("Diproses")
    finally:
        context.close()


def test_the_smaller_ones(browser: Any, prepared: Site) -> None:  # noqa: F811
    web = prepared
    context, page = logged_in(browser, web, "dewi.petugas")
    try:
        # The NIK reveal: a reload shows it again and posts nothing (one audit entry).
        page.goto(web.url("/staff?status=baru"))
        reference = page.locator("table.queue a.ref").first.inner_text()
        page.goto(web.url(f"/staff/submissions/{reference}"))
        page.get_by_role("button", name="Tampilkan NIK").click()
        shown = page.locator("#nik-value").inner_text()
        assert re.fullmatch(r"\d{16}", shown), shown
        page.reload()  # a GET: no "resend the form?" and no second reveal
        expect(page.locator("#nik-value")).to_have_text(shown)
        # The actions on it write one "Membuka pendaftaran", not one per page shown.
        page.get_by_role("button", name="Saya tangani").click()
        page.get_by_label("Hasil panggilan").select_option("tidak_diangkat")
        page.get_by_role("button", name="Simpan panggilan").click()
        expect(page.locator("#calls")).to_contain_text("Tidak diangkat")
    finally:
        context.close()

    context, page = logged_in(browser, web, "bayu.kabid")
    try:
        page.goto(web.url("/staff/audit?pelaku=staff:dewi.petugas"))
        rows = page.locator("table.queue tbody tr", has_text=reference)
        kinds = [row.locator("td[data-label='Kegiatan']").inner_text() for row in rows.all()]
        assert kinds.count("Menampilkan NIK") == 1 and kinds.count("Membuka pendaftaran") == 1, kinds
        details = " ".join(row.locator("td[data-label='Keterangan']").inner_text() for row in rows.all())
        assert "via" not in details and "session" not in details and "Lewat: halaman petugas" in details
        # Status names are the same on the queue tabs and the detail page.
        page.goto(web.url("/staff"))
        tabs = page.locator("nav.tabs a").all_inner_texts()
        assert any(t.startswith("Diproses") for t in tabs) and any(t.startswith("Dihubungi") for t in tabs)
        page.goto(web.url(f"/staff/submissions/{reference}"))
        expect(page.locator("h1 .badge").first).to_have_text("Diproses")
    finally:
        context.close()
