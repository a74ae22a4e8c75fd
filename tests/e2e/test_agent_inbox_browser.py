"""The agent inbox in a real browser (Debian's chromium through Playwright) against `bpu-bot
serve` with Telegram and WhatsApp on their fake servers, as test_staff_browser.py does.

An officer opens a Telegram worker's conversation from the sign-up page with its button (the
NIK typed in the chat masked), writes in it (the fake Telegram receives it), runs the macro
"Sudah ditelepon dan tersambung" (call recorded, status Dihubungi, follow-up message sent), sees
the worker's answer waiting in /staff/inbox with its unread count (docs/staff-inbox.png with
UPDATE_SCREENSHOTS=1; no sideways scrolling at 360 px), and hands the chat back to the bot. A
WhatsApp worker's page has a wa.me click-to-chat link beside the tel: link.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fakes.telegram_user import text_update
from tests.e2e.test_staff_browser import (  # noqa: F401 - module fixtures, each module runs its own server
    Site,
    browser,
    fits_width,
    log_in,
    new_context,
    screenshot,
    site,
)
from tests.support.staff_seed import SITI_NIK, TELEGRAM_CHAT

pytestmark = pytest.mark.slow


def test_talk_to_a_worker_run_a_macro_and_hand_back(browser: Any, site: Site) -> None:  # noqa: F811
    context = new_context(browser)
    page = context.new_page()
    log_in(page, site, "siti.petugas")
    page.wait_for_url(site.url("/staff"))
    reference = site.seeded.telegram_ref
    chat = int(TELEGRAM_CHAT)

    def delivered() -> list[str]:
        return [str(c.params["text"]) for c in site.telegram.sent(chat)]

    before = len(delivered())
    page.goto(site.url(f"/staff/submissions/{reference}"))
    page.get_by_role("link", name="Buka percakapan").click()
    page.wait_for_url(f"**/staff/submissions/{reference}/conversation")
    expect(page.locator("#held-by")).to_contain_text("Bot yang menjawab")
    expect(page.locator("#messages")).to_contain_text("357701******0001")  # the NIK typed in the form
    assert SITI_NIK not in page.content()

    page.get_by_label("Pesan (Bahasa Indonesia").fill(
        "Selamat siang Ibu Siti, saya Siti dari BPJS Ketenagakerjaan."
    )
    page.get_by_role("button", name="Kirim ke chat pekerja").click()
    expect(page.get_by_text("Pesan masuk antrean kirim")).to_be_visible()
    expect(page.locator("#held-by")).to_contain_text("siti.petugas")
    site.telegram.wait_for(lambda: len(delivered()) >= before + 2, 20, "the officer's message")
    assert delivered()[before + 1].startswith("Selamat siang Ibu Siti")

    # The macro: one click records the call, moves the status and writes the follow-up.
    page.get_by_role("button", name="Sudah ditelepon dan tersambung").click()
    expect(page.get_by_text("Langkah cepat selesai")).to_be_visible()
    site.telegram.wait_for(lambda: len(delivered()) >= before + 3, 20, "the macro's message")
    assert delivered()[before + 2].startswith("Terima kasih, Bapak/Ibu, sudah menerima telepon")
    page.goto(site.url(f"/staff/submissions/{reference}"))
    expect(page.locator("#calls")).to_contain_text("Sudah ditelepon dan tersambung.")
    expect(page.locator("h1 .badge.dihubungi")).to_be_visible()

    # The worker answers: waiting in the inbox, unread; the bot says nothing.
    site.telegram.push(text_update(site.telegram.next_update_id(), chat, "baik bu, terima kasih"))
    page.goto(site.url("/staff/inbox"))
    for _ in range(40):
        if page.locator("#inbox .badge.unread").count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator("#inbox")).to_contain_text(reference)
    expect(page.locator("#inbox .badge.unread")).to_have_text("1 baru")
    screenshot(page, "staff-inbox.png")
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    assert len(delivered()) == before + 3

    # Hand back: the worker is told, and the inbox empties.
    page.locator("#inbox a").first.click()
    expect(page.locator("#messages")).to_contain_text("baik bu, terima kasih")
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)  # the conversation on a phone, long messages wrapped
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Selesai, serahkan ke bot").click()
    expect(page.locator("#held-by")).to_contain_text("Bot yang menjawab")
    site.telegram.wait_for(lambda: len(delivered()) >= before + 4, 20, "the bot-is-back note")
    page.goto(site.url("/staff/inbox"))
    expect(page.locator("#waiting-count")).to_contain_text("0 percakapan")

    # A WhatsApp worker: click-to-chat beside the phone number.
    page.goto(site.url(f"/staff/submissions/{site.seeded.whatsapp_ref}"))
    expect(page.locator("a.chat-link")).to_have_attribute("href", "https://wa.me/6281298765432")
    context.close()
