"""The import page in a real browser (Debian's chromium through Playwright) against `bpu-bot
serve` with Telegram and WhatsApp on their fake servers, as test_staff_browser.py does.

An officer of KC-MADIUN uploads a file naming her branch's Telegram sign-up (to register),
Madura's sign-up and a reference nobody has; the preview refuses the last two with the same
words, at 360 px without sideways scrolling too; "Terapkan" registers the one, and the worker's
message arrives at the fake Telegram server once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_browser import (  # noqa: F401 - module fixtures, each module runs its own server
    Site,
    browser,
    fits_width,
    officer,
    screenshot,
    site,
)
from tests.support.staff_seed import TELEGRAM_CHAT

pytestmark = pytest.mark.slow

KPJ = "21098765432"


def test_an_officer_imports_the_branchs_file(officer: Any, site: Site, tmp_path: Path) -> None:  # noqa: F811
    page = officer
    file = tmp_path / "sistem-cabang.csv"
    file.write_text(
        "reference;status;kpj;registered_on;paid_until;note\n"
        f"{site.seeded.telegram_ref};terdaftar;{KPJ};;;\n"
        f"{site.seeded.madura_ref};terdaftar;21098765433;;;\n"
        "QQQQ-QQQQ;terdaftar;21098765434;;;\n"
    )
    page.goto(site.url("/staff"))
    page.get_by_role("link", name="Impor").click()
    expect(page.get_by_role("heading", name="Impor data cabang")).to_be_visible()
    page.get_by_label("Berkas CSV atau XLSX").set_input_files(str(file))
    page.get_by_role("button", name="Periksa berkas").click()
    expect(page.get_by_role("heading", name="Pratinjau: sistem-cabang.csv")).to_be_visible()
    refused = page.locator("table.imports").first.locator("tbody tr")
    expect(refused).to_have_count(2)
    reasons = [refused.nth(i).locator("td").nth(2).inner_text() for i in range(2)]
    assert reasons[0] == reasons[1] == "Pendaftaran tidak ditemukan."  # Madura's reads like nobody's
    assert "Terdaftar" in page.locator("table.imports").nth(1).inner_text()
    screenshot(page, "staff-import-preview.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Terapkan 1 perubahan").click()
    expect(page.get_by_role("heading", name="Hasil impor: sistem-cabang.csv")).to_be_visible()
    expect(page.get_by_text("1 perubahan sudah diterapkan.")).to_be_visible()
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits_width(page)
    page.set_viewport_size({"width": 1366, "height": 900})

    def delivered() -> list[str]:
        return [
            str(c.params["text"]) for c in site.telegram.sent(int(TELEGRAM_CHAT)) if KPJ in c.params["text"]
        ]

    assert site.telegram.wait_for(delivered, 20, "the terdaftar notification")
    page.goto(site.url(f"/staff/submissions/{site.seeded.telegram_ref}"))
    assert KPJ in page.locator("main").inner_text()
    time.sleep(1.0)
    assert len(delivered()) == 1
