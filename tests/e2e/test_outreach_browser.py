"""Sessions and broadcasts in a real browser (Debian's chromium through Playwright) against
`bpu-bot serve` with Telegram and WhatsApp on their fake servers, as test_staff_browser.py does.

An officer creates a session, sees its links (the bot's username read from the fake Telegram's
getMe, the number from the fake Graph API), opens the A4 poster (docs/poster.png with
UPDATE_SCREENSHOTS=1), links the officer's own Telegram chat with the page's one-time code (sent
to the bot through the fake Telegram server), counts a broadcast's recipients, sends a "kirim uji"
that arrives at that chat, then schedules the broadcast, pauses and cancels it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from fakes.telegram_user import TelegramUser
from storage.db import Database
from storage.models import Contact
from storage.types import utcnow
from tests.e2e.test_staff_browser import (  # noqa: F401 - module fixtures, each module runs its own server
    Site,
    browser,
    officer,
    screenshot,
    site,
)
from tests.support.browser_checks import run_aside

pytestmark = pytest.mark.slow

TEST_CHAT = 424242


async def _subscribers(db_url: str) -> None:
    """Three Telegram contacts of Kota Madiun who agreed to hear news: the broadcast's audience."""
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            rows = [
                {"channel": "telegram", "chat_id": str(9100 + n), "announcements": True,
                 "regency_code": "35.77", "created_at": utcnow()}
                for n in range(3)
            ]  # fmt: skip
            await session.exec(insert(Contact).values(rows))
    finally:
        await db.dispose()


def test_create_a_session_print_its_poster_and_send_a_test_broadcast(officer: Any, site: Site) -> None:  # noqa: F811
    page = officer
    run_aside(_subscribers(site.db_url))
    # The service asked the platforms who it is at start-up, before any session page was opened.
    site.telegram.wait_for(lambda: site.telegram.calls("getMe"), 20, "getMe at start-up")
    site.telegram.wait_for(lambda: site.graph.lookups, 20, "the phone number at start-up")
    page.get_by_role("link", name="Acara").click()
    page.wait_for_url(site.url("/staff/sessions"))
    page.get_by_label("Judul acara").fill("Sosialisasi BPJS Ketenagakerjaan untuk Pedagang Pasar Besar")
    page.get_by_label("Tempat (untuk tatap muka)").fill("Balai Kelurahan Kartoharjo")
    page.get_by_label("Kabupaten/kota").select_option("35.77")
    page.get_by_label("Kecamatan").select_option("Kartoharjo")  # from the regency's list
    page.get_by_label("Mulai (waktu setempat)").fill("2030-03-05T09:00")
    page.get_by_label("Selesai (waktu setempat)").fill("2030-03-05T11:00")
    page.get_by_label("Penyelenggara").fill("Dinas Koperasi dan UKM Kota Madiun")
    page.get_by_label("Kapasitas (orang)").fill("120")
    page.get_by_label("Iuran JKK dan JKM dibayar oleh").fill("Pemerintah Kota Madiun")
    page.get_by_label("Selama (bulan)").fill("6")
    page.get_by_label("Kuota (orang)").fill("100")
    page.get_by_role("button", name="Buat acara").click()
    expect(page.get_by_text("Acara sudah dibuat")).to_be_visible()
    match = re.search(r"/staff/sessions/([A-Z0-9]+)", page.url)
    assert match is not None, page.url
    code = match.group(1)
    # The links name the bot as the platforms know it (getMe; the Graph phone number object).
    expect(page.get_by_role("link", name=f"https://t.me/bpu_test_bot?start=s_{code}")).to_be_visible()
    expect(page.get_by_role("link", name=f"https://wa.me/15550783881?text=DAFTAR%20{code}")).to_be_visible()
    qr = page.request.get(site.url(f"/staff/sessions/{code}/qr.png?kanal=whatsapp"))
    assert qr.ok and qr.body().startswith(b"\x89PNG")

    # The poster: both QR codes and the three lines, on an A4 sheet.
    page.get_by_role("link", name="Poster A4 untuk dicetak").click()
    page.wait_for_url(site.url(f"/staff/sessions/{code}/poster"))
    expect(page.locator(".code svg")).to_have_count(2)
    expect(page.locator("ol li")).to_have_count(3)
    assert page.locator(".sheet").bounding_box()["width"] > 600  # the stylesheet applied (180 mm)
    page.set_viewport_size({"width": 900, "height": 1200})
    screenshot(page, "poster.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # The officer links their own Telegram chat once: the page's one-time code, sent to the bot.
    page.goto(site.url("/staff/broadcasts"))
    page.get_by_role("button", name="Hubungkan chat uji").click()
    shown = page.locator("#link-code strong").inner_text()
    assert re.fullmatch(r"UJI [A-Z0-9]{6}", shown), shown
    officer_chat = TelegramUser(site.telegram, TEST_CHAT, "Ani")
    officer_chat.says(shown.lower())
    officer_chat.wait_for_text("sudah terhubung sebagai chat uji", timeout=20)
    page.goto(site.url("/staff/broadcasts"))
    expect(page.locator("#test-chat")).to_contain_text("Telegram ••••4242")

    # A broadcast: count and preview, then "kirim uji" to that chat, with nothing to type.
    page.get_by_label("Isi pesan").fill(
        f"Sosialisasi di Balai Kelurahan Kartoharjo, 5 Maret 09.00. Kode {code}."
    )
    page.get_by_role("button", name="Hitung penerima dan lihat pratinjau").click()
    expect(page.locator("#recipient-count")).to_be_visible()
    expect(page.get_by_text("Balas STOP").first).to_be_visible()
    page.get_by_role("button", name="Kirim uji").click()
    expect(page.get_by_text("Pesan uji sudah masuk antrean")).to_be_visible()
    arrived = site.telegram.wait_for(
        lambda: [c for c in site.telegram.sent(TEST_CHAT) if code in c.params["text"]],
        20,
        "the test broadcast",
    )
    assert "UJI COBA" in arrived[0].params["text"] and "STOP" in arrived[0].params["text"]

    # Scheduled for the day before the session, then paused and cancelled from its page.
    page.get_by_label("Kirim pada (WIB, kosongkan untuk sekarang)").fill("2030-03-04T08:00")
    page.get_by_role("button", name="Kirim siaran").click()
    confirm = page.locator("#confirm-send")  # asked first, with the count and the time
    expect(confirm).to_contain_text("4 Maret 2030 08.00 WIB")
    confirm.get_by_role("button", name=re.compile(r"Ya, kirim ke \d+ orang")).click()
    expect(page.get_by_text("Siaran sudah dibuat")).to_be_visible()
    status = page.locator("#broadcast-status")
    expect(status).to_have_text("Terjadwal")
    expect(page.get_by_text("4 Maret 2030 08.00 WIB")).to_be_visible()
    page.get_by_role("button", name="Jeda").click()
    expect(status).to_have_text("Dijeda")
    page.get_by_role("button", name="Batalkan").click()
    expect(status).to_have_text("Dibatalkan")
