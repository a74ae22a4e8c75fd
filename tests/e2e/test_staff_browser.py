"""The staff dashboard in a real browser: Debian's `chromium` driven by Playwright, against
`bpu-bot serve` as a real process with Telegram and WhatsApp on, each against its fake server.

One Chromium for the module and one logged-in officer, so the suite stays quick. The officer
logs in, filters, searches by NIK, opens a sign-up, reveals the NIK, takes it, records a failed
call and moves it to `terdaftar`; the worker's messages arrive at the fake Telegram and Graph
servers. Exports, the lock-out after wrong passwords and the CSRF refusal are checked through
the same pages. The screenshots in docs/ come from here.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import update

from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import TOKEN, FakeTelegram
from storage.crypto import Vault
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import PG_URL, _truncate_pg
from tests.ops.test_web import free_port
from tests.support.staff_seed import (
    BUDI_NIK,
    CALLBACK_QUESTION,
    PASSWORD,
    SITI_NIK,
    TELEGRAM_CHAT,
    WHATSAPP_ID,
    Seeded,
    seed,
)

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parents[2] / "docs"
PII_KEY = Fernet.generate_key().decode()
KPJ = "21012345678"


def chromium_path() -> str | None:
    """Debian's chromium (apt-get install chromium); Playwright never downloads a browser here."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Site:
    base: str
    db_url: str
    seeded: Seeded
    telegram: FakeTelegram
    graph: FakeGraphAPI
    log: Path

    def url(self, path: str) -> str:
        return self.base + path


def _module_db(request: pytest.FixtureRequest, tmp: Path) -> str:
    if PG_URL:
        url: str = request.getfixturevalue("_pg_migrated")
        asyncio.run(_truncate_pg(url))
        return url
    template: Path = request.getfixturevalue("_sqlite_template")
    shutil.copy(template, tmp / "bpu.db")
    return f"sqlite+aiosqlite:///{tmp / 'bpu.db'}"


async def _seed(db_url: str) -> Seeded:
    db = Database(db_url)
    try:
        seeded = await seed(db, Vault(PII_KEY))
        # The seeded conversations' replies count as delivered long ago: the fakes then only see
        # what the officer's actions send.
        async with db.transaction() as session:
            await session.exec(update(OutboxMessage).values(status="sent"))
        return seeded
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("staff-site")
    db_url = _module_db(request, tmp)
    seeded = asyncio.run(_seed(db_url))
    port = free_port()
    with FakeTelegram() as telegram, FakeGraphAPI() as graph:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "staff-browser-test-secret-key-0123456789",
            "PII_ENCRYPTION_KEY": PII_KEY,
            "PORT": str(port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.url,
            "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
            "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
            "WHATSAPP_APP_SECRET": meta.APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
            "WHATSAPP_API_URL": graph.url,
        }
        log = tmp / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60  # imports alone take seconds on a busy machine
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text()
                time.sleep(0.1)
            yield Site(base, db_url, seeded, telegram, graph, log)
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    """One Chromium for the module. It needs `site` first: Playwright's sync API keeps an event
    loop running in this thread, after which the database set-up's asyncio.run could not run."""
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed: run `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root (CI containers) Chromium's sandbox cannot start; the pages are our own.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=path, args=args)
        try:
            yield launched
        finally:
            launched.close()


def new_context(browser: Any, **extra: Any) -> Any:
    return browser.new_context(
        viewport={"width": 1366, "height": 900},
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        accept_downloads=True,
        **extra,
    )


def log_in(page: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(site.url("/staff"))
    assert "/staff/login" in page.url  # not logged in yet: sent to the log-in page
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


@pytest.fixture(scope="module")
def officer(site: Site, browser: Any) -> Iterator[Any]:
    """A page of siti.petugas (staff, KC-MADIUN), logged in once for the module."""
    context = new_context(browser)
    page = context.new_page()
    log_in(page, site, "siti.petugas")
    page.wait_for_url(site.url("/staff"))
    yield page
    context.close()


def screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Takes the screenshot every run (the page must render); writes it into docs/ for the
    README only when UPDATE_SCREENSHOTS=1, so a test run does not change tracked files."""
    image = page.screenshot(full_page=full_page)
    assert image.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        (DOCS / name).write_bytes(image)


def expect_tab_count(page: Any, label: str, count: int) -> None:
    """The count shown on a status tab of the queue (waits for the page to show it)."""
    expect(page.locator("nav.tabs a", has_text=label).first.locator(".count")).to_have_text(str(count))


def fits_width(page: Any) -> bool:
    """No sideways scrolling: the page is as wide as the window."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_officer_takes_a_telegram_sign_up_to_terdaftar(officer: Any, site: Site) -> None:
    page = officer
    expect(page.get_by_role("heading", name="Antrean pendaftaran")).to_be_visible()
    total = site.seeded.bulk + 2  # the Madura sign-up is another branch's
    open_work = total - 2  # one terdaftar and one ditolak among the seeded
    expect_tab_count(page, "Semua", total)
    expect_tab_count(page, "Perlu tindakan", open_work)  # the default view
    assert page.locator("table.queue tbody tr").count() == 50  # 50 a page
    screenshot(page, "staff-queue.png")

    # The next page carries on after the last row, without repeats.
    first = set(page.locator("table.queue a.ref").all_inner_texts())
    page.get_by_role("link", name="Berikutnya").click()
    rest = set(page.locator("table.queue a.ref").all_inner_texts())
    assert len(rest) == open_work - 50 and not first & rest
    page.get_by_role("link", name="Sebelumnya").click()
    assert set(page.locator("table.queue a.ref").all_inner_texts()) == first

    # Filter by channel: only Telegram sign-ups remain; the tabs count under the filter.
    page.goto(site.url("/staff"))
    page.get_by_text("Saring lebih lanjut").click()
    page.get_by_label("Kanal").select_option("telegram")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url("**kanal=telegram**")
    channels = page.locator("table.queue td[data-label='Kanal']").all_inner_texts()
    assert channels and set(channels) == {"Telegram"}
    assert 0 < len(channels) < total
    expect_tab_count(page, "Perlu tindakan", len(channels))

    # Search by NIK, typed with spaces: exactly Siti's sign-up.
    page.goto(site.url("/staff"))
    page.get_by_label("Cari nomor pendaftaran, NIK, atau nomor HP").fill("3577 0147 0885 0001")
    page.get_by_role("button", name="Tampilkan").click()
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1
    assert "Siti Aminah" in rows.first.inner_text()

    # The detail page: NIK masked until revealed.
    rows.first.get_by_role("link", name=site.seeded.telegram_ref).click()
    page.wait_for_url(f"**/staff/submissions/{site.seeded.telegram_ref}")
    expect(page.locator("#nik-value")).to_have_text("357701******0001")
    assert SITI_NIK not in page.content()
    page.get_by_role("button", name="Tampilkan NIK").click()
    expect(page.locator("#nik-value")).to_have_text(SITI_NIK)

    # Saya tangani: assigned, and a new sign-up is now being processed.
    page.get_by_role("button", name="Saya tangani").click()
    expect(page.get_by_text("sekarang Bapak/Ibu tangani")).to_be_visible()
    expect(page.locator("#assigned-to")).to_have_text("siti.petugas")
    expect(page.locator("h1 .badge")).to_have_text("Diproses")

    # A call that was not answered, then "dihubungi": the worker hears the office tried.
    page.get_by_label("Hasil panggilan").select_option("tidak_diangkat")
    page.get_by_label("Catatan (tanpa data pribadi)").fill("Tidak diangkat, coba lagi sore")
    page.get_by_role("button", name="Simpan panggilan").click()
    expect(page.locator("#calls")).to_contain_text("Tidak diangkat")
    page.get_by_label("Status baru").select_option("dihubungi")
    page.get_by_role("button", name="Simpan status").click()
    expect(page.get_by_text("Pesan untuk peserta sudah masuk antrean kirim")).to_be_visible()
    tried = site.telegram.wait_for(
        lambda: [
            c for c in site.telegram.sent(int(TELEGRAM_CHAT)) if "mencoba menghubungi" in c.params["text"]
        ],
        20,
        "the dihubungi notification",
    )
    assert site.seeded.telegram_ref in tried[0].params["text"]

    # terdaftar with the KPJ number: the worker gets it, with how to pay.
    page.get_by_label("Status baru").select_option("terdaftar")
    page.get_by_label("Nomor KPJ (wajib untuk Terdaftar, 11 angka)").fill("210 1234 5678")
    page.get_by_role("button", name="Simpan status").click()
    expect(page.locator("h1 .badge")).to_have_text("Terdaftar")
    assert KPJ in page.locator("main").inner_text()
    registered = site.telegram.wait_for(
        lambda: [c for c in site.telegram.sent(int(TELEGRAM_CHAT)) if KPJ in c.params["text"]],
        20,
        "the terdaftar notification",
    )
    assert "Bayar misalnya di" in registered[0].params["text"]  # how to pay comes with it
    screenshot(page, "staff-detail.png", full_page=True)

    # The same pages on a 360-pixel phone: nothing runs off the side.
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)
    page.goto(site.url("/staff"))
    assert fits_width(page)
    page.goto(site.url("/staff/arrears"))  # the workers behind with payments
    assert page.locator("h1").inner_text() == "Menunggak" and fits_width(page)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_whatsapp_sign_up_is_refused_with_a_reason_the_worker_receives(officer: Any, site: Site) -> None:
    page = officer
    page.goto(site.url(f"/staff/submissions/{site.seeded.whatsapp_ref}"))
    page.get_by_role("button", name="Saya tangani").click()
    page.get_by_label("Status baru").select_option("ditolak")
    page.get_by_label("Alasan penolakan (wajib untuk Ditolak)").select_option("sudah_terdaftar")
    page.get_by_role("button", name="Simpan status").click()
    # No note: refused kindly, and what was chosen is kept.
    assert page.get_by_role("alert").inner_text() == "Tulis catatan untuk penolakan ini."
    assert page.get_by_label("Status baru").input_value() == "ditolak"
    assert page.get_by_label("Alasan penolakan (wajib untuk Ditolak)").input_value() == ("sudah_terdaftar")
    page.get_by_label("Catatan").last.fill("KPJ lama masih aktif")
    page.get_by_role("button", name="Simpan status").click()
    expect(page.locator("h1 .badge")).to_have_text("Ditolak")
    sent = site.graph.wait_for(
        lambda _calls: any("sudah terdaftar sebagai peserta" in c.text for c in site.graph.sent(WHATSAPP_ID))
    )
    assert sent and site.seeded.whatsapp_ref in site.graph.sent(WHATSAPP_ID)[-1].text


def test_exports_follow_the_page_filters(officer: Any, site: Site) -> None:
    page = officer
    page.goto(site.url("/staff?kanal=whatsapp&status=semua"))  # Budi's, refused above, too
    shown = page.locator("table.queue tbody tr").count()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    name = download.suggested_filename
    assert name.startswith("antrean-KC-MADIUN-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == shown
    channel_column = next(k for k in rows[0] if k.lower() in ("kanal", "channel"))
    assert {r[channel_column].lower() for r in rows} == {"whatsapp"}
    budi = next(r for r in rows if r.get("Nama") == "Budi Santoso")
    phone = next(v for k, v in budi.items() if "HP" in k or "phone" in k.lower())
    assert phone.startswith("0812") and not phone.startswith("'")  # tap-to-call works
    assert BUDI_NIK not in Path(download.path()).read_text(encoding="utf-8-sig")  # masked

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX)").click()
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    assert sheet is not None and sheet.max_row == shown + 1
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_a_post_without_the_csrf_token_is_refused(officer: Any, site: Site) -> None:
    page = officer
    reference = site.seeded.telegram_ref
    page.goto(site.url(f"/staff/submissions/{reference}"))
    before = page.locator("h1 .badge").inner_text()
    url = site.url(f"/staff/submissions/{reference}/status")
    # The officer's own session cookie goes along; only the token is missing or wrong.
    for form in ({"status": "dibatalkan"}, {"status": "dibatalkan", "csrf_token": "0" * 64}):
        refused = page.request.post(url, form=form, max_redirects=0)
        assert refused.status == 403
        assert "Formulir kedaluwarsa" in refused.text()
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text(before)  # unchanged
    assert before != "Dibatalkan"


def test_wrong_passwords_lock_the_account_and_the_supervisor_sees_it(browser: Any, site: Site) -> None:
    # This browser comes through a proxy at another address, so only that address is locked.
    context = new_context(browser, extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
    page = context.new_page()
    try:
        for attempt in range(1, 6):
            log_in(page, site, "dewi.petugas", f"salah-tebak-{attempt}")
            alert = page.get_by_role("alert").inner_text()
            if attempt < 5:
                assert alert == "Nama pengguna atau kata sandi salah."
        assert "Terlalu banyak percobaan yang salah" in alert
        assert page.get_by_label("Nama pengguna").input_value() == "dewi.petugas"  # kept
        log_in(page, site, "dewi.petugas")  # the right password waits too
        assert "Coba lagi dalam 15 menit" in page.get_by_role("alert").inner_text()
    finally:
        context.close()

    supervisor = new_context(browser)
    page = supervisor.new_page()
    try:
        log_in(page, site, "bayu.kabid")
        page.goto(site.url("/staff/audit?aksi=login_locked"))
        entries = page.locator("table.queue tbody tr")
        assert entries.count() >= 1
        assert "login:dewi.petugas" in entries.first.inner_text()
        assert "203.0.113.9" in entries.first.inner_text()
    finally:
        supervisor.close()


def test_another_branch_officer_gets_404(browser: Any, site: Site) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        log_in(page, site, "made.madura")
        page.wait_for_url(site.url("/staff"))
        response = page.goto(site.url(f"/staff/submissions/{site.seeded.telegram_ref}"))
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
        assert "Siti" not in page.content()
        own = page.goto(site.url(f"/staff/submissions/{site.seeded.madura_ref}"))
        assert own is not None and own.status == 200
    finally:
        context.close()


def test_a_callback_request_is_taken_called_and_closed_from_the_queue(officer: Any, site: Site) -> None:
    page = officer
    page.goto(site.url("/staff"))
    section = page.locator("#minta-ditelepon")
    expect(section.locator("h2 .count")).to_have_text("1")
    row = section.locator("table.callbacks tbody tr", has_text=CALLBACK_QUESTION)
    expect(row).to_contain_text("WhatsApp")
    expect(row).to_contain_text(site.seeded.whatsapp_ref)  # the person's sign-up, linked
    assert "0812-9876-5432" not in row.inner_text()  # the number is masked in the queue
    row.get_by_role("button", name="Saya tangani").click()
    expect(page.locator("#assigned-to")).to_have_text("siti.petugas")
    page.get_by_role("button", name="Tampilkan nomor").click()
    expect(page.locator("#phone-value")).to_have_text("0812-9876-5432")  # as everywhere else
    page.get_by_label("Hasil panggilan").select_option("selesai")
    page.get_by_label("Catatan (wajib bila tidak terhubung; tanpa data pribadi)").fill(
        "Dijelaskan cara bayar"
    )
    page.get_by_role("button", name="Simpan dan tutup").click()
    expect(page.locator("h1 .badge")).to_have_text("Selesai (sudah bicara)")
    page.goto(site.url("/staff"))
    expect(page.locator("#minta-ditelepon h2 .count")).to_have_text("0")
