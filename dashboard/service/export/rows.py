"""One export row per submission or callback request, its values written in a format's style.

Queue rows hold the NIK masked unless revealed, programs in words and times in the worker's own
zone; the form decides its own columns' values (handlers/enrol/fields.py), except the date and
the number `STORED_ANSWERS` names, which follow the format's style.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dashboard.service.export.styles import Style
from dashboard.service.texts import flag_label, status_label
from handlers.branches import branch_map
from handlers.channels import Catalogue
from handlers.enrol.form import Form
from storage.crypto import Vault
from storage.models import CallbackRequest, Submission

STORED_ANSWERS: dict[str, tuple[str, Callable[[Any, Style], Any]]] = {
    "birth_date": ("birth_date", lambda stored, style: style.day(date.fromisoformat(stored))),
    "phone": ("phone", lambda stored, style: style.phone(stored)),
    "income_as_said": ("income_reading", lambda stored, style: style.income_said(stored)),
}
"""Form columns written from the stored answer (an ISO date, an E.164 number) in the format's
style, not as the form shows them to people: column -> (answer, how the style writes it)."""


def submission_row(
    submission: Submission,
    vault: Vault,
    form: Form,
    style: Style,
    *,
    reveal_nik: bool,
    officer: str | None,
    channels: Catalogue,
) -> dict[str, Any]:
    values = form.read(submission, vault)
    answers = form.export_values(values, reveal_nik)
    for column, (answer, write) in STORED_ANSWERS.items():
        if column in answers:
            stored = values.get(answer)
            answers[column] = write(stored, style) if stored else None
    region = submission.regency_code
    return {
        "reference": submission.reference,
        "status": submission.status,
        "status_label": status_label(submission.status),
        "branch": submission.branch_code,
        "branch_name": branch_map().get(submission.branch_code).name or submission.branch_code,
        "assigned_to": officer,
        **answers,
        "period_total": submission.period_total,
        "flags": ", ".join(flag_label(f) for f in submission.flags),
        "channel": style.channel(submission.channel, channels),
        "attribution_code": submission.attribution_code,
        "created_at": style.moment(submission.created_at, region),
        "call_by": style.day(submission.call_by) if submission.call_by else None,
        "callback_at": style.moment(submission.callback_at, region) if submission.callback_at else None,
        "kpj_number": submission.kpj_number,
    }


def callback_row(
    request: CallbackRequest, phone: str | None, vault: Vault, style: Style, channels: Catalogue
) -> dict[str, Any]:
    """A callback request with the number to call and the question asked (both personal data)."""
    return {
        "id": request.id,
        "status": request.status,
        "branch": request.branch_code,
        "phone": style.phone(phone) if phone else None,
        "question": vault.decrypt_optional(request.question_enc),
        "channel": style.channel(request.channel, channels),
        "created_at": style.moment(request.created_at, request.regency_code),
    }
