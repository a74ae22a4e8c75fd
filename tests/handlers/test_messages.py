"""Every template renders; formatting helpers; no Indonesian prose hides in Python files."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from handlers.branches import branch_map
from handlers.contribution import quote
from handlers.enrol.fields import FORM
from handlers.enrol.form import Values, amounts_on
from handlers.flows.benefits import prices_on
from handlers.price import Contributor, Payer, Price
from messages.data import catalogue
from messages.format import date_names, format_rupiah, format_short_date
from messages.payment import payment_data
from messages.pemda import schemes
from messages.program_data import program_data
from messages.render import render

DATA = program_data()
_DAY = date(2026, 11, 21)
_Q = quote(2_000_000, "general", _DAY, DATA)
_Q_NORMAL = quote(800_000, "general", date(2027, 6, 1), DATA)
_MADIUN, _BANGKALAN = schemes()
_CITY = Payer("Pemerintah Kota Madiun", date(2027, 4, 30))
# Whom prices are for: on their own, paid by a session's sponsor, a candidate of a regency's scheme.
_PEOPLE = [
    Contributor(2_000_000, "general"),
    Contributor(1_500_000, "general", payer=_CITY),
    Contributor(1_500_000, "transport", scheme=_MADIUN),
]


def _prices(who: Contributor, with_jht: bool, day: date = _DAY) -> dict[int, Price]:
    return who.prices(day, with_jht=with_jht, data=DATA)


def _price(who: Contributor, months: int = 3, day: date = _DAY) -> Price:
    return who.price(day, months, with_jht=True, data=DATA)


_PAY = payment_data()
_ASKED = [[], [c for c in _PAY.channels if c.id == "indomaret"], [c for c in _PAY.channels if c.id == "bni"]]
_ASKED.append([c for c in _PAY.channels if c.id in ("perisai", "gopay")])


_S = {
    "code": "MAD2411",
    "title": "Sosialisasi BPJS Ketenagakerjaan untuk UMKM",
    "day": date(2026, 11, 24),
    "start": "09.00",
    "end": "11.00",
    "tz": "WIB",
    "place": "Pendapa Kecamatan Kartoharjo",
    "online_url": None,
    "district": "Kartoharjo",
    "organiser": "Dinas Koperasi dan UKM Kota Madiun",
    "capacity": 120,
    "regency": "Kota Madiun",
    "reserved": False,
}
_S_ONLINE = _S | {"place": None, "online_url": "https://zoom.us/j/123", "reserved": True}


class _Region:
    code = "35.77.01"
    name = "Kartoharjo"
    label = "Kec. Kartoharjo"
    parent = "Kota Madiun"


class _Regency:
    code = "35.77"
    name = "Kota Madiun"
    label = "Kota Madiun"
    parent = "Jawa Timur"


# Prices on three days: both discounts on, only the transport one on, none.
PRICES = [prices_on(date(2026, 11, 21)), prices_on(date(2027, 2, 1)), prices_on(date(2027, 6, 1))]
_BRANCH = branch_map().get("KC-MADIUN")
_NO_BRANCH = branch_map().for_regency("32.01")


class _Submission:
    reference = "K7XQ-M4DA"
    created_at = date(2026, 11, 21)
    status = "terdaftar"
    kpj_number = "26012345678"
    rejection_reason = None


_ANSWERS = {
    "consent": {"version": "1", "at": "2026-11-21T03:00:00+00:00"},
    "nik": "3577014708850001",
    "nik_facts": {"sex": "P", "birth_date": "1985-08-07"},
    "full_name": "Siti Aminah",
    "birth_date": "1985-08-07",
    "phone": "+6281234567890",
    "regency": "35.77",
    "district": "35.77.01",
    "address": "Jl. Merpati 12",
    "occupation": "pedagang",
    "income": 1_500_000,
    "programs": "basic",
    "period": 3,
    "email": None,
}
_VALUES = Values(_ANSWERS, amounts_on(_ANSWERS, date(2026, 11, 21)))
_SUMMARY = {"lines": FORM.summary(_VALUES)}
_READABLE = {"reference": "K7XQ-M4DA", "status": "baru", "lines": FORM.summary(_VALUES)}


def test_the_summary_reads_every_field() -> None:
    text = render("enrol_summary", **_SUMMARY)
    for expected in (
        "NIK: 357701******0001",
        "Nama: Siti Aminah",
        "Tanggal lahir: 7 Agustus 1985 (Perempuan)",
        "Nomor HP: 0812-3456-7890",
        "Tempat tinggal: Jl. Merpati 12, Kec. Kartoharjo, Kota Madiun",
        "Penghasilan: Rp1.500.000 per bulan",
        # November and December at the discount, January at the normal rate: said, not left to guess.
        "Program: JKK + JKM, Rp10.900 per bulan\n",
        "Masa bayar: 3 bulan sekaligus, Rp43.600 (per bulan: November–Desember 2026 Rp10.900, potongan"
        " PP 50/2025; Januari 2027 Rp21.800)",
        "Email: -",
    ):
        assert expected in text


# Sample contexts for each template; a template missing here fails the test below, so
# adding a template means adding an example of how it is called.
_JAN = date(2027, 1, 1)
_DUE_PRICES = [_price(Contributor(1_500_000, "general"), m, _JAN) for m in (1, 12)] + [
    _price(Contributor(1_500_000, "transport"), 3, _JAN),  # PP 50/2025's discount to March 2027
    _price(Contributor(1_500_000, "transport"), 6, date(2027, 2, 1)),  # across the discount's end
]
_DUE = {"due": date(2027, 1, 15), "first": _JAN, "late": _PAY.late}
_DUES: dict[str, list[dict[str, Any]]] = {
    "dues_reminder": [{**_DUE, "price": p, "last": p.stretches[-1].last} for p in _DUE_PRICES],
    "dues_sponsor_end": [
        {
            **_DUE,
            "price": p,
            "last": p.stretches[-1].last,
            "payer": "Pemerintah Kota Madiun",
            "until": date(2026, 12, 31),
            "next_due": date(2027, 1, 15),
        }
        for p in _DUE_PRICES
    ],
    "dues_arrears_ask": [{**_DUE, "price": p, "last": _JAN, "months": 1} for p in _DUE_PRICES],
    "dues_arrears_thanks": [
        {"reason": r, "late": _PAY.late}
        for r in ("kurang_uang", "tidak_tahu", "lupa", "pindah", "tidak_lanjut", "lainnya")
    ],
    "dues_paid": [{"until": date(2027, 1, 31), "next_due": date(2027, 2, 15)}],
    "dues_stopped": [{}],
    "dues_none": [{}],
    "dues_how": [
        {**_DUE, "price": p, "thanks": t, "places": _PAY.confirmed}
        for p in _DUE_PRICES
        for t in (True, False)
    ],
    "dues_call": [{"working_days": 3}],
    "dues_callback_note": [{"reference": "K7XQ-M4DA", "reason": r} for r in ("Lupa", None)],
}

CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "unreadable_text": [{}],
    "greeting": [{"name": None, **p} for p in PRICES] + [{"name": "Sri", **PRICES[0]}],
    "menu": [{"has_draft": False}, {"has_draft": True}],
    "help": [{}],
    "not_understood": [{}],
    "pick_option": [{}],
    "media": [{"kind": "foto"}, {"kind": ""}],
    "error": [{}],
    "cancelled": [{}],
    "thanks": [{}],
    "announcements_stopped": [{}],
    "test_chat_linked": [{"username": "ani.madiun", "channel": "telegram"}],
    "test_chat_invalid": [{}],
    "announcements_started": [{}],
    "announcements_declined": [{}],
    "sessions": [
        {"sessions": [], "subscribed": False, "regency": "Kota Madiun"},
        {"sessions": [_S], "subscribed": True, "regency": "Kota Madiun"},
        {"sessions": [_S, _S_ONLINE, _S], "subscribed": False, "regency": "Kota Madiun"},
    ],
    "sessions_ask_regency": [{}],
    "sessions_regency_not_found": [{"text": "madiyun"}],
    "sessions_regency_choose": [{}],
    "session_reserved": [{"s": _S}, {"s": _S_ONLINE}],
    "session_already": [{"s": _S}],
    "session_full": [{"s": _S}],
    "session_closed": [{"s": _S}],
    "session_pick": [{}],
    "session_pick_leave": [{"sessions": [_S, _S_ONLINE]}],
    "session_cancelled": [{"s": _S}],
    "session_none_reserved": [{}],
    "session_reminder_day": [{"s": _S}, {"s": _S_ONLINE}],
    "session_reminder_hours": [{"s": _S}, {"s": _S_ONLINE}],
    "session_welcome": [{"s": _S, "sponsor": None}, {"s": _S, "sponsor": "Iuran dibayar Pemda."}],
    "session_other_day": [{"s": _S, "upcoming": True}, {"s": _S_ONLINE, "upcoming": False}],
    "session_sponsor": [
        {"sponsor": "Pemerintah Kota Madiun", "months": 6, "quota": 100, "left": 40},
        {"sponsor": "Pemerintah Kota Madiun", "months": 6, "quota": 100, "left": 0},
    ],
    "session_poster": [
        {"s": _S, "code": "MAD2411", "sponsor": None},
        {"s": _S, "code": "MAD2411", "sponsor": "Pemerintah Kota Madiun"},
    ],
    "broadcast_footer": [{}],
    "broadcast_template_preview": [{"text": "Sosialisasi Selasa 24/11 di Pendapa Kartoharjo."}],
    "followup_ask_again": [{}],
    "followup_callback_note": [{"s": _S, "reason": "Caranya/dokumen sulit"}],
    "broadcast_test_prefix": [{}],
    "followup_ask": [{"s": _S}],
    "followup_berat": [{"cheapest": 16_800, "discounted": 8_400}, {"cheapest": 16_800, "discounted": None}],
    "followup_manfaat": [{}],
    "followup_sulit": [{"branch": "Kantor Cabang Madiun", "working_days": 3}],
    "followup_nik": [{}],
    "followup_nanti": [{}],
    "followup_sudah": [{}],
    "followup_lainnya": [{}],
    "followup_thanks": [
        {"callback": True, "branch": "Kantor Cabang Madiun", "working_days": 3},
        {"callback": False, "branch": "Kantor Cabang Madiun", "working_days": 3},
    ],
    "benefits_overview": PRICES,
    "benefit_jkk": PRICES,
    "benefit_jkk_more": PRICES,
    "benefit_jkm": PRICES,
    "benefit_jkm_more": PRICES,
    "benefit_jht": PRICES,
    "benefit_jht_more": PRICES,
    "discount_note": PRICES[:2],  # empty when no discount is on
    **{
        f"faq_{topic}": PRICES
        for topic in ("kesehatan", "klaim", "meninggal", "kantor", "keluarga", "sumber")
    },
    "faq_bayar": [{"asked": asked, "confirmed": _PAY.confirmed} for asked in _ASKED],
    "faq_bayar_tanggal": [{"due": _PAY.due}],
    "faq_bayar_telat": [{"late": _PAY.late}],
    "faq_pemda": [
        {"payer": payer, "scheme": scheme, "regency": regency, "today": _DAY, **PRICES[0]}
        for payer, scheme, regency in (
            (_CITY, _MADIUN, "Kota Madiun"),
            (None, _MADIUN, "Kota Madiun"),
            (None, _BANGKALAN, "Kab. Bangkalan"),
            (None, None, "Kota Surabaya"),
            (None, None, None),
        )
    ],
    "pemda_ask_regency": [{}],
    "price_payer": [{"p": _price(_PEOPLE[1])}],
    "price_months": [{"p": _price(who, 12)} for who in _PEOPLE],
    "price_candidate": [{"p": _price(_PEOPLE[2])}],
    "calc_ask_income": [{}],
    "calc_bad_income": [
        {"reason": "unreadable"},
        {"reason": "too_small", "amount": 2},
        {"reason": "too_large"},
        {"reason": "uncertain"},
    ],
    "calc_ask_work": [{}],
    "calc_result": [
        {"q": _Q, "basic": _prices(who, False), "with_jht": _prices(who, True)} for who in _PEOPLE
    ]
    + [
        {
            "q": _Q_NORMAL,
            "basic": _prices(Contributor(800_000, "general"), False, date(2027, 6, 1)),
            "with_jht": _prices(Contributor(800_000, "general"), True, date(2027, 6, 1)),
        }
    ],
    "status_list": [
        {"submissions": [], "has_draft": False},
        {"submissions": [_Submission()], "has_draft": True},
        {
            "submissions": [_Submission()],
            "has_draft": False,
            "dues": {
                "K7XQ-M4DA": {"paid_until": date(2027, 1, 31), "next_due": date(2027, 2, 15), "behind": False}
            },
        },
        {
            "submissions": [_Submission()],
            "has_draft": False,
            "dues": {"K7XQ-M4DA": {"paid_until": None, "next_due": date(2026, 12, 15), "behind": True}},
        },
    ],
    "privacy_view": [
        {
            "submissions": [_READABLE],
            "contact_phone": "0812-3456-7890",
            "announcements": True,
            "has_draft": True,
        },
        {"submissions": [], "contact_phone": None, "announcements": False, "has_draft": False},
    ],
    "privacy_delete_confirm": [{}],
    "privacy_deleted": [{}],
    "enrol_progress": [{"number": 3, "total": 11}],
    "enrol_ask_consent": [
        {"retention_years": 5, "assisted": False},
        {"retention_years": 5, "assisted": True},
    ],
    "enrol_ask_assisted_relation": [{}],
    "enrol_other_intro": [{"min_age": 18}],
    "enrol_nik_taken": [{}],
    "aside_calculator": [{"floor": 1_000_000, **p} for p in PRICES],
    "aside_unknown": [{}],
    "later": [{"kept": False}, {"kept": True}],
    "later_ok": [{}],
    "later_reminder": [{}],
    "later_reminder_set": [{"at": "2026-11-22T09:00:00+07:00"}],
    "callback_question_shortened": [{"limit": 500}],
    "enrol_consent_refused": [{}],
    "enrol_ask_nik": [{}],
    "enrol_bad_nik": [
        {"reason": "length", "count": 15},
        {"reason": "not_digits"},
        {"reason": "province", "code": "99"},
        {"reason": "region_zero"},
        {"reason": "birth_date"},
        {"reason": "serial"},
        {"reason": "region_unknown", "code": "3599"},
        {"reason": "district_unknown", "code": "04", "regency": "Kota Madiun"},
        {"reason": None},
    ],
    "enrol_nik_region_outdated": [{"law": "UU 14/2022 tentang Pembentukan Provinsi Papua Selatan"}],
    "enrol_nik_unlisted": [{}],
    "enrol_duplicate": [
        {"own": True, "reference": "K7XQ-M4DA", "status": "diproses"},
        {"own": False, "reference": None, "status": None},
    ],
    "enrol_ask_full_name": [{}],
    "enrol_bad_full_name": [
        {"reason": "characters", "chars": "7"},
        {"reason": "too_short"},
        {"reason": "too_long"},
        {"reason": "empty"},
    ],
    "enrol_ask_birth_date": [{}],
    "enrol_bad_birth_date": [{"reason": r} for r in ("impossible", "future", "too_old", "unreadable")],
    "enrol_minor": [{"min_age": 18}],
    "enrol_ask_birth_check": [{"typed": date(1985, 8, 8), "from_nik": date(1985, 8, 7), "sex": "P"}],
    "enrol_ask_phone": [{"assisted": False}, {"assisted": True}],
    "enrol_phone_corrected": [{"phone": "0812-3456-7890"}],
    "enrol_bad_phone": [{"reason": r} for r in ("landline", "foreign", "length", "unreadable")],
    "enrol_ask_region_confirm": [{"district": _Region()}],
    "enrol_ask_regency": [{}],
    "enrol_region_not_found": [
        {"level": "regency", "text": "Madiu"},
        {"level": "district", "text": "Kartoharj", "regency": _Regency()},
    ],
    "enrol_region_choose": [{"level": "regency"}, {"level": "district"}],
    "enrol_ask_district": [{"regency": _Regency()}, {"regency": None}],
    "enrol_ask_address": [{}],
    "enrol_ask_current_address": [{"district": _Region()}, {"district": None}],
    "enrol_bad_address": [
        {"reason": "too_short"},
        {"reason": "too_long", "typed": "Jl. Merpati " * 19, "limit": 200},
    ],
    "enrol_ask_occupation": [{}],
    "enrol_ask_occupation_other": [{}],
    "enrol_bad_occupation_other": [{}],
    "enrol_ask_income": [{}],
    "enrol_ask_income_check": [
        {"reading": {"stated": 100_000, "per": "day", "upper": None}, "income": 2_600_000},
        {"reading": {"stated": 700_000, "per": "week", "upper": None}, "income": 2_800_000},
        {"reading": {"stated": 500_000, "per": "month", "upper": 1_000_000}, "income": 500_000},
    ],
    "income_assumed": [{"reading": {"stated": 100_000, "per": "day", "upper": None}, "income": 2_600_000}],
    "enrol_income_floor": [{"income": 800_000, "floor": 1_000_000}],
    "enrol_ask_programs": [
        {
            "basic": who.price(day, 1, with_jht=False, data=DATA),
            "with_jht": who.price(day, 1, with_jht=True, data=DATA),
        }
        for who in _PEOPLE
        for day in (_DAY, date(2027, 6, 1))
    ],
    "enrol_ask_period": [
        {"prices": _prices(who, with_jht), "longest": _prices(who, with_jht)[12]}
        for who in _PEOPLE
        for with_jht in (False, True)
    ],
    "enrol_bad_period": [{"periods": (1, 3, 6, 12)}],
    "enrol_ask_email": [{}],
    "enrol_bad_email": [{}],
    "enrol_ask_field": [{"label": "Nama panggilan"}],
    "enrol_bad_field": [{"label": "Nama panggilan", "reason": "length"}],
    "enrol_bad_choice": [{}],
    "enrol_summary": [
        _SUMMARY,
        {"lines": FORM.summary(Values(_ANSWERS | {"email": "siti@example.id"}, _VALUES.amounts))},
    ],
    "enrol_edit_menu": [{}],
    "enrol_edit_unknown": [{"text": "warna motor"}],
    "enrol_cancel_confirm": [{}],
    "enrol_resume": [{"answered": 5, "started": date(2026, 11, 18)}],
    "enrol_expired": [{}],
    "enrol_ways": [{}],
    "enrol_form_link": [{"button": "Isi formulir"}],
    "enrol_form_unavailable": [{}],
    "enrol_form_refused": [{}],
    "enrol_form_incomplete": [{"lines": ["NIK: NIK harus 16 angka."]}],
    "enrol_reminder": [{"answered": 4, "total": 10, "until": date(2026, 11, 25)}],
    "enrol_need_help": [{"branch": _BRANCH}, {"branch": _NO_BRANCH}],
    "enrol_submitted": [
        {
            "reference": "K7XQ-M4DA",
            "branch": branch,
            "call_by": date(2026, 11, 25),
            "working_days": 3,
            "p": _price(who),
            "sponsor_lost": lost,
        }
        for branch, who, lost in (
            (_BRANCH, _PEOPLE[0], None),
            (_BRANCH, _PEOPLE[1], None),
            (_BRANCH, _PEOPLE[2], None),
            (_BRANCH, Contributor(1_500_000, "general", scheme=_MADIUN), "Pemerintah Kota Madiun"),
            (_NO_BRANCH, _PEOPLE[0], None),
        )
    ],
    "enrol_ask_announce": [{}],
    "callback_ask_phone": [{}],
    "callback_ask_regency": [{}],
    "callback_ask_question": [{}],
    "callback_requested": [
        {"branch": b, "phone": "0812-3456-7890", "call_by": date(2026, 11, 25), "working_days": 3}
        for b in (_BRANCH, _NO_BRANCH)
    ],
    # Status changes an officer makes (dashboard/service/notify.py).
    "notify_dihubungi": [
        {"reference": "K7XQ-M4DA", "branch": b, "reached": reached}
        for b in (_BRANCH, _NO_BRANCH)
        for reached in (False, True)
    ],
    "notify_terdaftar": [
        {
            "reference": "K7XQ-M4DA",
            "branch": _BRANCH,
            "kpj": "21012345678",
            "programs": "JKK + JKM + JHT",
            "p": Price.from_record(_price(who).record()),  # as a submission keeps it
        }
        for who in _PEOPLE
    ],
    "notify_ditolak": [
        {
            "reference": "K7XQ-M4DA",
            "branch": b,
            "reason": "Data yang Bapak/Ibu kirim tidak sama dengan data KTP.",
        }
        for b in (_BRANCH, _NO_BRANCH)
    ],
    "agent_joined": [{"branch": b} for b in (_BRANCH, _NO_BRANCH)],
    "agent_bot_back": [{}],
    "agent_invite": [
        {"branch": _BRANCH, "reference": "K7XQ-M4DA"},
        {"branch": _NO_BRANCH, "reference": None},
    ],
    "chat_media_sent": [{}],
    "chat_form_sent": [{}],
    # Payment reminders and their answers (dashboard/service/payment_reminders.py, handlers/flows/dues.py).
    **_DUES,
}


# Every template of every language, as (language, name).
TEMPLATES = [
    (code, path.stem)
    for code in catalogue().languages
    for path in sorted((catalogue().root / code / "templates").glob("*.j2"))
]


def test_every_template_has_an_example() -> None:
    assert sorted(CONTEXTS) == sorted({name for _, name in TEMPLATES})


@pytest.mark.parametrize(("lang", "name"), TEMPLATES)
def test_template_renders(lang: str, name: str) -> None:
    for context in CONTEXTS[name]:
        text = render(name, lang, **context)
        assert text.strip(), name
        assert "{{" not in text and "{%" not in text
        assert len(text) < 1500, f"{name} is too long for a phone screen"


# Pages people open to read at length; every other reply fits one phone screen.
# "data saya" lists everything held, as the person asked (UU PDP); it is one message per person.
LONG_PAGES = {"benefit_jkk_more", "benefit_jkm_more", "benefit_jht_more", "faq_sumber", "privacy_view"}
PHONE_SCREEN = 600


@pytest.mark.parametrize(
    ("lang", "name"), [(lang, name) for lang, name in TEMPLATES if name not in LONG_PAGES]
)
def test_every_reply_fits_a_phone_screen(lang: str, name: str) -> None:
    for context in CONTEXTS[name]:
        text = render(name, lang, **context)
        assert len(text) <= PHONE_SCREEN, f"{name}: {len(text)} characters"


def test_calc_result_states_the_numbers() -> None:
    who = _PEOPLE[0]
    text = render("calc_result", q=_Q, basic=_prices(who, False), with_jht=_prices(who, True))
    assert "Rp13.400" in text and "Rp26.800" in text and "Rp53.400" in text
    assert "31 Desember 2026" in text
    cheap = Contributor(800_000, "general")
    day = date(2027, 6, 1)
    normal = render(
        "calc_result", q=_Q_NORMAL, basic=_prices(cheap, False, day), with_jht=_prices(cheap, True, day)
    )
    assert "Rp16.800" in normal and "batas terendah Rp1.000.000" in normal and "potongan" not in normal


def test_rupiah_and_dates() -> None:
    assert format_rupiah(16_800) == "Rp16.800"
    assert format_rupiah(174_000_000) == "Rp174.000.000"
    assert date_names().long(date(2026, 12, 22)) == "Selasa, 22 Desember 2026"  # the `tanggal` filter
    assert date_names().long(date(2026, 11, 22)) == "Minggu, 22 November 2026"
    assert format_short_date(date(2027, 3, 31)) == "31 Maret 2027"
