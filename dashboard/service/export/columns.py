"""The columns of the exports, in order, and their Indonesian headers.

A queue row is the submission's own columns (status, branch and officer) around the columns each
form field declares (handlers/enrol/fields.py), then the rest of the submission's (flags, the
call-back date promised to the worker and any requested call-back, the KPJ number).
"""

from __future__ import annotations

from dashboard.service.texts import texts
from handlers.enrol.form import Form

META_BEFORE = ("reference", "status", "status_label", "branch", "branch_name", "assigned_to")
META_AFTER = (
    "period_total",
    "flags",
    "channel",
    "attribution_code",
    "created_at",
    "call_by",
    "callback_at",
    "kpj_number",
)
CALLBACK_COLUMNS = ("id", "status", "branch", "phone", "question", "channel", "created_at")
TEXT_COLUMNS = frozenset({"reference", "nik", "phone", "kpj_number", "regency_code", "attribution_code"})
"""Columns a spreadsheet must keep as text (leading zeros, long digit strings)."""


def queue_columns(form: Form) -> tuple[str, ...]:
    """The queue export's columns: the submission's own, and each form field's (declared with it)."""
    return (*META_BEFORE, *form.export_columns, *META_AFTER)


def headers(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The Indonesian column headers (messages/backoffice.toml [export_headers]); else the key."""
    names: dict[str, str] = texts()["export_headers"]
    return tuple(names.get(key, key) for key in keys)
