"""The team tools in a real browser (Debian's chromium, Playwright) against `bpu-bot serve`:
an admin creates an account with the form and disables it, the officer's open work going back to
the queue; a bulk "Saya tangani" with one refused row; the queue's default view with two callback
requests open, the table still above the fold at 1366x768. The README's accounts screenshot
comes from here (UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from storage.crypto import Vault
from storage.db import Database
from storage.models import CallbackRequest
from tests.e2e.test_staff_browser import (
    PII_KEY,
    Site,
    browser,  # noqa: F401  (the module's fixtures)
    fits_width,
    log_in,
    new_context,
    screenshot,
    site,  # noqa: F401
)
from tests.support.staff_seed import PASSWORD

pytestmark = pytest.mark.slow

ADMIN = "ani.admin"
NEW_OFFICER = "rina.petugas"
NEW_PASSWORD = "jamu-kunyit-asam-pagi"


async def _prepare(db_url: str) -> None:
    """An admin, and a second open callback request (the seed has one)."""
    from dashboard.service import Backoffice
    from tests.support.backoffice_helpers import CATALOGUE

    db = Database(db_url)
    try:
        office = Backoffice(db, Vault(PII_KEY), CATALOGUE)
        await office.add_account("cli:test", ADMIN, PASSWORD, role="admin", branch=None)
        async with db.transaction() as session:
            session.add(
                CallbackRequest(
                    channel="telegram",
                    branch_code="KC-MADIUN",
                    regency_code="35.77",
                    question_enc=Vault(PII_KEY).encrypt("iuran JKM bisa dibayar tiap bulan?"),
                )
            )
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def team_site(site: Site) -> Site:  # noqa: F811
    """The served site with an admin and two open callbacks; set up before the browser starts
    (Playwright's sync API then owns this thread's event loop)."""
    asyncio.run(_prepare(site.db_url))
    return site


@pytest.fixture(scope="module")
def pages(team_site: Site, browser: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    contexts = {name: new_context(browser) for name in (ADMIN, "siti.petugas")}
    opened = {name: context.new_page() for name, context in contexts.items()}
    for name, page in opened.items():
        log_in(page, team_site, name)
        page.wait_for_url(team_site.url("/staff"))
    yield opened
    for context in contexts.values():
        context.close()


def test_the_default_view_shows_what_needs_action_above_the_fold(
    pages: dict[str, Any], team_site: Site
) -> None:
    page = pages["siti.petugas"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(team_site.url("/staff"))
    expect(page.locator("#minta-ditelepon h2 .count")).to_have_text("2")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_contain_text("Perlu tindakan")
    statuses = set(page.locator("table.queue td[data-label='Status'] .badge:not(.flag)").all_inner_texts())
    assert statuses and statuses <= {"Baru", "Diproses", "Dihubungi"}
    expect(page.locator("table.queue caption")).to_contain_text("Janji telepon paling awal di atas.")
    # The first rows of the queue table are on the first screen, under two callback requests.
    first_row = page.locator("table.queue tbody tr").first.bounding_box()
    assert first_row is not None and first_row["y"] + first_row["height"] <= 768, first_row
    # Sorting by waiting time, all statuses: the finished ones are there too.
    page.get_by_label("Urutkan").select_option("menunggu")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator("table.queue caption")).to_contain_text("Yang paling lama menunggu di atas.")
    page.locator("nav.tabs a", has_text="Semua").click()
    all_statuses = set(
        page.locator("table.queue td[data-label='Status'] .badge:not(.flag)").all_inner_texts()
    )
    assert {"Terdaftar", "Ditolak"} <= all_statuses
    page.set_viewport_size({"width": 1366, "height": 900})


def test_bulk_assign_with_one_refused_row(pages: dict[str, Any], team_site: Site) -> None:
    page = pages["siti.petugas"]
    page.goto(team_site.url("/staff?urut=menunggu&status=semua"))
    rows = page.locator("table.queue tbody tr")
    # The oldest row is dewi's (the seed's working day): the third pick is refused.
    taken_by_dewi = rows.nth(0)
    assert "dewi.petugas" in taken_by_dewi.inner_text()
    free = [
        rows.nth(n)
        for n in range(4, 8)
        if rows.nth(n).locator("td[data-label='Petugas']").inner_text() == "–"
    ]
    picks = [free[0], free[1], taken_by_dewi]
    references = [row.locator("a.ref").inner_text() for row in picks]
    for row in picks:
        row.get_by_role("checkbox").check()
    page.get_by_label("Untuk yang dicentang").select_option("assign")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_role("heading", name="Hasil tindakan")).to_be_visible()
    expect(page.get_by_role("status").last).to_contain_text("2 berhasil, 1 tidak dapat diproses")
    result_rows = page.locator("table.results tbody tr")
    results = {r.locator("td").first.inner_text(): r.inner_text() for r in result_rows.all()}
    assert sorted(results) == sorted(references)  # one line per ticked row, in the table's order
    refused = results[references[2]]
    assert "Ditolak" in refused and "sudah ditangani dewi.petugas" in refused
    assert all("Berhasil" in results[r] for r in references[:2])
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Kembali ke antrean").first.click()
    page.wait_for_url("**urut=menunggu**")


def test_an_admin_creates_and_disables_an_account_and_the_work_goes_back(
    pages: dict[str, Any],
    team_site: Site,
    browser: Any,  # noqa: F811
) -> None:
    admin = pages[ADMIN]
    admin.goto(team_site.url("/staff/accounts"))
    expect(admin.get_by_role("heading", name="Tim dan akun")).to_be_visible()
    admin.get_by_label("Nama pengguna").fill(NEW_OFFICER)
    admin.get_by_label("Kata sandi", exact=True).fill(NEW_PASSWORD)
    admin.get_by_label("Peran", exact=True).select_option("staff")
    admin.get_by_label("Cabang", exact=True).select_option("KC-MADIUN")
    admin.get_by_role("button", name="Buat akun").click()
    expect(admin.get_by_text(f"Akun {NEW_OFFICER} sudah dibuat.")).to_be_visible()
    expect(admin.locator(f"tr[id='akun-{NEW_OFFICER}']")).to_contain_text("Aktif")

    # The new officer logs in and takes a sign-up.
    context = new_context(browser)
    rina = context.new_page()
    try:
        log_in(rina, team_site, NEW_OFFICER, NEW_PASSWORD)
        rina.wait_for_url(team_site.url("/staff"))
        row = (
            rina.locator("table.queue tbody tr")
            .filter(has=rina.locator("td[data-label='Petugas']", has_text="–"))
            .first
        )
        reference = row.locator("a.ref").inner_text()
        row.locator("a.ref").click()
        rina.get_by_role("button", name="Saya tangani").click()
        expect(rina.locator("#assigned-to")).to_have_text(NEW_OFFICER)

        # The admin sees her workload, then disables her, handing the work back to the queue.
        admin.reload()
        expect(
            admin.locator(f"tr[id='akun-{NEW_OFFICER}'] td[data-label='Pendaftaran terbuka']")
        ).to_contain_text("1")
        screenshot(admin, "staff-accounts.png")
        admin.locator(f"tr[id='akun-{NEW_OFFICER}'] summary").click()
        admin.get_by_label(f"Pekerjaan terbuka {NEW_OFFICER} diserahkan ke").select_option("")
        admin.get_by_role("button", name=f"Nonaktifkan {NEW_OFFICER}").click()
        expect(admin.get_by_role("status").first).to_contain_text(
            f"Akun {NEW_OFFICER} dinonaktifkan. 1 pendaftaran dan 0 permintaan telepon"
        )
        expect(admin.locator(f"tr[id='akun-{NEW_OFFICER}']")).to_contain_text("Nonaktif")

        # Her session is over; the sign-up is unassigned again, and the audit says where it went.
        rina.goto(team_site.url("/staff"))
        assert "/staff/login" in rina.url
        admin.goto(team_site.url(f"/staff?cari={reference}&status=semua"))
        expect(admin.locator("table.queue td[data-label='Petugas']")).to_have_text("–")
        admin.goto(team_site.url("/staff/audit?aksi=handover"))
        expect(admin.locator("main")).to_contain_text(reference)

        admin.set_viewport_size({"width": 360, "height": 740})
        admin.goto(team_site.url("/staff/accounts"))
        admin.locator("tr[id='akun-siti.petugas'] summary").click()  # the action forms open too
        expect(admin.get_by_label("Kata sandi baru untuk siti.petugas")).to_be_visible()
        assert fits_width(admin)
        admin.set_viewport_size({"width": 1366, "height": 900})
    finally:
        context.close()
