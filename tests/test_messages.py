"""Every template renders; formatting helpers; no Indonesian prose hides in Python files."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from handlers.contribution import period_totals, quote
from messages.format import format_date, format_rupiah, format_short_date
from messages.program_data import program_data
from messages.render import render, template_names

ROOT = Path(__file__).resolve().parent.parent
DATA = program_data()
_Q = quote(2_000_000, "general", date(2026, 11, 21), DATA)
_Q_NORMAL = quote(800_000, "general", date(2027, 6, 1), DATA)


class _Session:
    starts_at = date(2026, 11, 24)
    place = "Pendapa Kecamatan Kedopok"
    audience = "UMKM Kedopok dan Wonoasih"


# Sample contexts for each template; a template missing here fails the test below, so
# adding a template means adding an example of how it is called.
CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "greeting": [{"name": None, "cheapest": 8_400}, {"name": "Sri", "cheapest": 16_800}],
    "menu": [{}],
    "help": [{}],
    "not_understood": [{}],
    "pick_option": [{}],
    "media": [{"kind": "foto"}, {"kind": ""}],
    "error": [{}],
    "cancelled": [{}],
    "thanks": [{}],
    "announcements_stopped": [{}],
    "announcements_started": [{}],
    "sessions": [
        {"sessions": [], "subscribed": False},
        {"sessions": [_Session()], "subscribed": True},
    ],
    "benefits_overview": [{"cheapest": 8_400}],
    "benefit_jkk": [{}],
    "benefit_jkk_more": [{}],
    "benefit_jkm": [{}],
    "benefit_jkm_more": [{}],
    "benefit_jht": [{}],
    "benefit_jht_more": [{}],
    "calc_ask_income": [{}],
    "calc_bad_income": [
        {"reason": "unreadable"},
        {"reason": "too_small", "amount": 2},
        {"reason": "too_large", "amount": 5_000_000_000},
    ],
    "calc_ask_work": [{}],
    "calc_result": [
        {"q": _Q, "totals": period_totals(2_000_000, "general", date(2026, 11, 21), DATA)},
        {"q": _Q_NORMAL, "totals": period_totals(800_000, "general", date(2027, 6, 1), DATA)},
    ],
}


def test_every_template_has_an_example() -> None:
    assert sorted(CONTEXTS) == template_names()


@pytest.mark.parametrize("name", template_names())
def test_template_renders(name: str) -> None:
    for context in CONTEXTS[name]:
        text = render(name, **context)
        assert text.strip(), name
        assert "{{" not in text and "{%" not in text
        assert len(text) < 1500, f"{name} is too long for a phone screen"


def test_calc_result_states_the_numbers() -> None:
    text = render("calc_result", q=_Q, totals=period_totals(2_000_000, "general", date(2026, 11, 21), DATA))
    assert "Rp13.400" in text and "Rp26.800" in text and "Rp53.400" in text
    assert "31 Desember 2026" in text
    normal = render("calc_result", q=_Q_NORMAL, totals=[])
    assert "Rp16.800" in normal and "batas terendah Rp1.000.000" in normal and "potongan" not in normal


def test_rupiah_and_dates() -> None:
    assert format_rupiah(16_800) == "Rp16.800"
    assert format_rupiah(174_000_000) == "Rp174.000.000"
    assert format_date(date(2026, 12, 22)) == "Selasa, 22 Desember 2026"
    assert format_date(date(2026, 11, 22)) == "Minggu, 22 November 2026"
    assert format_short_date(date(2027, 3, 31)) == "31 Maret 2027"


_INDONESIAN = re.compile(r"\b(Bapak|Ibu|Silakan|silakan|Maaf|maaf|Terima kasih|anda|Anda)\b")


def test_no_indonesian_prose_in_python() -> None:
    offenders = []
    for folder in ("bot", "handlers", "storage", "messages"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if _INDONESIAN.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
