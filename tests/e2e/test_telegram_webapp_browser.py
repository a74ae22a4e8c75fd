"""The Telegram Mini App in a real browser: Debian's `chromium` driven by Playwright, against
`bpu-bot serve` as a real process with Telegram on (the fake Bot API) and the Mini App set up.

The page is opened as Telegram opens it: the signed `initData` and the theme in the address's
fragment, on a small phone's screen. The person fills every screen (a wrong NIK first, refused
under its field), sends, and the submission is in the database with the confirmation in the
chat. A forged `initData` gets nothing. The screenshot in docs/ comes from here
(UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_webapp import init_data, launch_fragment
from storage.db import Database
from storage.models import Submission
from tests.e2e.test_staff_browser import chromium_path, screenshot
from tests.e2e.test_telegram_e2e import serve

pytestmark = pytest.mark.slow

USER = 5550002
WEBAPP_URL = "https://bot.example.id/webapp/enrol"
NIK = "3574015505900001"


def submissions(db_url: str) -> list[Submission]:
    """The submissions, read in a thread of its own (Playwright's loop runs in this one)."""

    async def read() -> list[Submission]:
        db = Database(db_url)
        try:
            async with db.reader() as session:
                return list((await session.exec(select(Submission))).all())
        finally:
            await db.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


@pytest.fixture
def served(tmp_path: Path, db_url: str) -> Iterator[tuple[str, FakeTelegram]]:
    with FakeTelegram() as telegram, serve(tmp_path, db_url, telegram, TELEGRAM_WEBAPP_URL=WEBAPP_URL) as bot:
        yield bot.base, telegram


@pytest.fixture
def browser(served: tuple[str, FakeTelegram]) -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed: run `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=path, args=args)
        try:
            yield launched
        finally:
            launched.close()


def phone(browser: Any) -> Any:
    """A cheap Android phone's screen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID", is_mobile=True)
    return context.new_page()


def test_the_mini_app_enrols_in_a_browser(
    served: tuple[str, FakeTelegram], browser: Any, db_url: str
) -> None:
    base, telegram = served
    page = phone(browser)
    page.goto(f"{base}/webapp/enrol{launch_fragment(init_data(TOKEN, USER, 'Siti'))}")

    expect(page.get_by_role("heading", name="Persetujuan")).to_be_visible()
    # Telegram's theme (night) is followed.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"
    page.get_by_label("Ya, saya setuju").check()
    page.get_by_role("button", name="Lanjut").click()

    expect(page.get_by_role("heading", name="Data diri")).to_be_visible()
    page.get_by_label("NIK").fill("3574 0155 0590")
    page.get_by_label("Nama sesuai KTP").fill("siti aminah")
    page.get_by_label("Tanggal lahir").fill("1990-05-15")
    page.locator("section.on").get_by_role("button", name="Lanjut").click()
    expect(page.locator("#e-nik")).to_contain_text("NIK harus 16 angka")
    screenshot(page, "telegram-mini-app-nik.png")
    page.get_by_label("NIK").fill(NIK)
    page.locator("section.on").get_by_role("button", name="Lanjut").click()

    expect(page.get_by_role("heading", name="Kontak dan tempat tinggal")).to_be_visible()
    expect(page.get_by_label("Kabupaten/kota tempat tinggal")).to_have_value("35.74")  # from the NIK
    page.get_by_label("Nomor HP").fill("0812-3456-7890")
    page.get_by_label("Kecamatan").select_option("35.74.02")
    page.get_by_label("Alamat sesuai KTP").fill("Jl. Mawar No. 5 RT 02 RW 03, Kel. Wonoasih")
    page.locator("section.on").get_by_role("button", name="Lanjut").click()

    expect(page.get_by_role("heading", name="Pekerjaan dan penghasilan")).to_be_visible()
    page.get_by_label("Pekerjaan utama").select_option("pedagang")
    page.get_by_label("Penghasilan sebulan").fill("2 jt")
    page.locator("section.on").get_by_role("button", name="Lanjut").click()

    expect(page.get_by_role("heading", name="Program dan masa bayar")).to_be_visible()
    page.get_by_text("JKK + JKM + JHT").click()
    page.get_by_text("3 bulan").click()
    page.locator("section.on").get_by_role("button", name="Lanjut").click()

    expect(page.get_by_role("heading", name="Periksa dan kirim")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("Kec. Wonoasih")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "telegram-mini-app-review.png", full_page=True)
    page.get_by_role("button", name="Kirim pendaftaran").click()

    expect(page.locator("#done")).to_contain_text("Nomor pendaftaran")
    (submission,) = submissions(db_url)
    assert submission.reference in page.locator("#done").inner_text()
    assert submission.channel == "telegram" and submission.programs == "jkk_jkm_jht"
    telegram.wait_for(
        lambda: any(submission.reference in c.params.get("text", "") for c in telegram.sent(USER)),
        what="the confirmation in the chat",
    )

    # A page opened with initData signed by someone else gets nothing.
    forged = phone(browser)
    forged.goto(f"{base}/webapp/enrol{launch_fragment(init_data('123:not-the-token', USER + 1))}")
    expect(forged.locator("#notice")).to_contain_text("tidak berlaku")
    expect(forged.get_by_role("heading", name="Persetujuan")).to_be_hidden()
    assert len(submissions(db_url)) == 1
