"""The BPU enrolment form, declared once: its fields in the order they are asked.

Adding a field is one `Field(...)` here (and its templates in messages/): an optional field
with no column of its own is kept in `Submission.answers`, shown in the summary and in "data
saya", offered under "ubah", exported and, when personal, encrypted and erased.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from handlers.enrol.form import Columns, Export, Field, Form, Values
from handlers.enrol.steps import assisted, contact, identity, payment, residence, work
from handlers.price import PRICE, Price
from handlers.regions import region
from messages.form_labels import form_labels
from messages.format import format_phone
from messages.program_data import occupation
from storage.crypto import Vault, mask_nik
from storage.models import Submission, income_band

PROGRAM_CODES = {"basic": "jkk_jkm", "with_jht": "jkk_jkm_jht"}


def sealed(key: str) -> Columns:
    """An answer kept encrypted in its own column, `<key>_enc`, which "hapus data" empties."""
    column = f"{key}_enc"
    return Columns(
        lambda values, vault: {column: vault.encrypt_optional(values.get(key))},
        lambda submission, vault: {key: vault.decrypt_optional(getattr(submission, column))},
        erase=(column,),
    )


def _answer(key: str) -> Export:
    return Export(key, lambda values, _reveal: values.get(key))


# --- enrolling someone else ------------------------------------------------------------------


def _show_assisted(values: Values, lang: str) -> dict[str, Any] | None:
    relation = values.get("assisted_relation")
    return {"relation": form_labels(lang)["relations"].get(relation, relation)} if relation else None


ASSISTED = Field(
    "assisted",
    (assisted.RELATION,),
    show=_show_assisted,
    # Kept in `Submission.answers` only for an assisted enrolment (nothing for everyone else).
    columns=Columns(
        lambda v, _vault: {"answers": {"assisted_relation": r}} if (r := v.get("assisted_relation")) else {},
        lambda s, _vault: {"assisted_relation": s.answers.get("assisted_relation")},
    ),
    editable=False,
    numbered=False,
    exports=(Export("assisted_by_family", lambda v, _reveal: v.get("assisted_relation")),),
)

# --- consent -------------------------------------------------------------------------------


def _write_consent(values: Values, _vault: Vault) -> dict[str, Any]:
    consent = values.get("consent")
    return {"consent_version": consent["version"], "consent_at": datetime.fromisoformat(consent["at"])}


def _read_consent(s: Submission, _vault: Vault) -> dict[str, Any]:
    return {"consent": {"version": s.consent_version, "at": s.consent_at.isoformat()}}


CONSENT = Field(
    "consent",
    (identity.CONSENT,),
    shown=False,
    editable=False,
    numbered=False,
    exports=(),
    columns=Columns(_write_consent, _read_consent),
)

# --- identity ------------------------------------------------------------------------------


def _write_nik(values: Values, vault: Vault) -> dict[str, Any]:
    nik = values.get("nik")
    return {
        "nik_enc": vault.encrypt(nik),
        "nik_hash": vault.keyed_hash(nik),
        "sex": values.get("nik_facts")["sex"],
    }


def _read_nik(s: Submission, vault: Vault) -> dict[str, Any]:
    return {"nik": vault.decrypt_optional(s.nik_enc), "nik_facts": {"sex": s.sex}}


def _export_nik(values: Values, reveal: bool) -> str | None:
    nik = values.get("nik")
    return (nik if reveal else mask_nik(nik)) if nik else None


NIK = Field(
    "nik",
    (identity.NIK,),
    personal=("nik",),
    show=lambda v, _lang: {"value": mask_nik(v.get("nik")) if v.get("nik") else None},
    columns=Columns(_write_nik, _read_nik, erase=("nik_enc", "nik_hash")),
    exports=(Export("nik", _export_nik),),
)

FULL_NAME = Field(
    "full_name",
    (identity.FULL_NAME,),
    personal=("full_name",),
    columns=sealed("full_name"),
    exports=(Export("name", lambda v, _reveal: v.get("full_name")),),
)


def _birth_date(values: Values) -> date | None:
    typed = values.get("birth_date")
    return date.fromisoformat(typed) if typed else None


def _day(value: date | None) -> str | None:
    """31-12-1985: how staff write a date."""
    return value.strftime("%d-%m-%Y") if value else None


def _sex(values: Values) -> str | None:
    facts = values.get("nik_facts") or {}
    return facts.get("sex")


BIRTH_DATE = Field(
    "birth_date",
    (identity.BIRTH_DATE, identity.BIRTH_CHECK),
    show=lambda v, lang: {"date": _birth_date(v), "sex": form_labels(lang)["sex"].get(_sex(v) or "", "-")},
    columns=Columns(
        lambda v, _vault: {"birth_date": _birth_date(v)},
        lambda s, _vault: {"birth_date": s.birth_date.isoformat() if s.birth_date else None},
        erase=("birth_date",),
    ),
    exports=(
        Export("birth_date", lambda v, _reveal: _day(_birth_date(v))),
        Export("sex", lambda v, _reveal: form_labels()["sex"].get(_sex(v) or "", _sex(v))),
    ),
)

PHONE = Field(
    "phone",
    (contact.PHONE,),
    personal=("phone",),
    show=lambda v, _lang: {"value": format_phone(v.get("phone")) if v.get("phone") else None},
    columns=Columns(
        lambda v, vault: {
            "phone_enc": vault.encrypt(v.get("phone")),
            "phone_hash": vault.phone_hash(v.get("phone")),  # staff search a number in any format
        },
        lambda s, vault: {"phone": vault.decrypt_optional(s.phone_enc)},
        erase=("phone_enc", "phone_hash"),
    ),
    # The national form (0812-3456-7890): text a spreadsheet keeps and a tap on a phone calls.
    exports=(Export("phone", lambda v, _reveal: format_phone(v.get("phone")) if v.get("phone") else None),),
)

# --- residence -----------------------------------------------------------------------------


def _write_residence(values: Values, vault: Vault) -> dict[str, Any]:
    regency, district = region(values.get("regency")), region(values.get("district"))
    return {
        "regency_code": regency.code if regency else values.get("regency"),
        "regency_name": regency.name if regency else None,
        "district_code": district.code if district else values.get("district"),
        "district_name": district.name if district else None,
        "address_enc": vault.encrypt(values.get("address")),
        "answers": {"current_address": vault.encrypt(now)} if (now := values.get("current_address")) else {},
    }


def _read_residence(s: Submission, vault: Vault) -> dict[str, Any]:
    return {
        "regency": s.regency_code,
        "regency_name": s.regency_name,
        "district": s.district_code,
        "district_name": s.district_name,
        "address": vault.decrypt_optional(s.address_enc),
        "current_address": vault.decrypt_optional(s.answers.get("current_address")),
    }


RESIDENCE = Field(
    "residence",
    (
        residence.REGION_CONFIRM,
        residence.REGENCY,
        residence.DISTRICT,
        residence.ADDRESS,
        residence.CURRENT_ADDRESS,
    ),
    personal=("address", "current_address"),
    show=lambda v, _lang: {
        "address": v.get("address"),
        "current": v.get("current_address"),
        "district": region(v.get("district")),
        "regency": region(v.get("regency")),
    },
    columns=Columns(_write_residence, _read_residence, erase=("address_enc",), kept=("current_address",)),
    exports=(
        Export("regency_code", lambda v, _reveal: v.get("regency")),
        Export("regency_name", lambda v, _reveal: v.get("regency_name") or _region_name(v.get("regency"))),
        Export("district", lambda v, _reveal: v.get("district_name") or _region_name(v.get("district"))),
        # The KTP address and, for people who live elsewhere, where they live now: staff see which.
        Export("ktp_address", lambda v, _reveal: v.get("address")),
        _answer("current_address"),
    ),
)


def _region_name(code: str | None) -> str | None:
    found = region(code) if code else None
    return found.name if found else None


# --- work and money ------------------------------------------------------------------------


def _work(values: Values, lang: str) -> str | None:
    code, other = values.get("occupation"), values.get("occupation_other")
    if code is None:
        return None
    if code == "lainnya" and other:
        return str(other)
    return occupation(code, lang).label


def _work_exported(values: Values, _reveal: bool) -> str | None:
    code, other = values.get("occupation"), values.get("occupation_other")
    if code is None:
        return None
    label = occupation(code).label
    return f"{label}: {other}" if other else label


OCCUPATION = Field(
    "occupation",
    (work.OCCUPATION, work.OCCUPATION_OTHER),
    show=lambda v, lang: {"value": _work(v, lang)},
    columns=Columns(
        lambda v, _vault: {"occupation": v.get("occupation"), "occupation_other": v.get("occupation_other")},
        lambda s, _vault: {"occupation": s.occupation, "occupation_other": s.occupation_other},
        erase=("occupation_other",),
    ),
    exports=(Export("occupation", _work_exported),),
)


def _price(values: Values) -> Price:
    assert values.amounts is not None
    return values.amounts


def _reported_income(values: Values) -> int:
    return _price(values).reported_income


def _write_income(values: Values, vault: Vault) -> dict[str, Any]:
    income = int(values.get("income"))
    return {
        "income_enc": vault.encrypt(str(income)),
        "income_band": income_band(income),
        "reported_income_enc": vault.encrypt(str(_reported_income(values))),
        # How it was said (per day, per week, a range), sealed like the income itself.
        "answers": {"income_reading": vault.encrypt(json.dumps(reading))}
        if (reading := values.get("income_reading"))
        else {},
    }


# Financial data is specific personal data (UU 27/2022 Pasal 4 ayat (2) huruf f): encrypted in the
# draft and the submission, erased by "hapus data"; reports keep its band.
INCOME = Field(
    "income",
    (work.INCOME, work.INCOME_CHECK),
    personal=("income", "income_reading"),
    columns=Columns(
        _write_income,
        lambda s, vault: {
            "income": int(vault.decrypt(s.income_enc)) if s.income_enc else None,
            "income_reading": json.loads(vault.decrypt(sealed))
            if (sealed := s.answers.get("income_reading"))
            else None,
        },
        erase=("income_enc", "reported_income_enc"),
        kept=("income_reading",),
    ),
    exports=(
        _answer("income"),
        # How it was said when not per month ("100000/day", "500000-1000000/month"), for staff.
        Export("income_as_said", lambda v, _reveal: _as_said(v.get("income_reading"))),
    ),
)


def _as_said(reading: dict[str, Any] | None) -> str | None:
    if not reading:
        return None
    upper = f"-{reading['upper']}" if reading.get("upper") else ""
    return f"{reading['stated']}{upper}/{reading['per']}"


PROGRAMS = Field(
    "programs",
    (payment.PROGRAMS,),
    show=lambda v, lang: {"value": form_labels(lang)["programs"][v.get("programs")], "p": v.amounts},
    columns=Columns(
        lambda v, _vault: {
            "programs": PROGRAM_CODES[v.get("programs")],
            "monthly_contribution": _price(v).person_monthly,
        },
        lambda s, _vault: {"programs": next(k for k, code in PROGRAM_CODES.items() if code == s.programs)},
    ),
    exports=(
        Export("programs", lambda v, _reveal: form_labels()["programs"][v.get("programs")]),
        Export("monthly_contribution", lambda v, _reveal: _price(v).person_monthly),
    ),
)

# The period's line shows the price the person pays (and which months cost what); the submission
# keeps that price (`PRICE`), so "data saya" and the officer's messages later say the same.
PERIOD = Field(
    "period",
    (payment.PERIOD,),
    show=lambda v, _lang: {"months": v.get("period"), "p": v.amounts},
    columns=Columns(
        lambda v, _vault: {
            "payment_months": int(v.get("period")),
            "period_total": _price(v).total,
            "answers": {PRICE: _price(v).record()},
        },
        lambda s, _vault: {"period": s.payment_months},
    ),
    exports=(Export("payment_period_months", lambda v, _reveal: v.get("period")),),
)

EMAIL = Field(
    "email",
    (contact.EMAIL,),
    personal=("email",),
    columns=sealed("email"),
)

FORM = Form(
    (
        ASSISTED,
        CONSENT,
        NIK,
        FULL_NAME,
        BIRTH_DATE,
        PHONE,
        RESIDENCE,
        OCCUPATION,
        INCOME,
        PROGRAMS,
        PERIOD,
        EMAIL,
    )
)
