"""One row of a registrations file against the submission it names: allowed or refused (why, in
Indonesian), and what it would change. Pure: the caller loads the submission and its coverage.

An import may move a submission from any open status straight to `terdaftar` (the branch's own
system is the record); every other step follows the status graph (dashboard/service/workflow.py).
A row for a submission already `terdaftar` confirms or corrects its KPJ, registration date and
"paid until"; the same row again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Protocol

from dashboard.service import workflow
from dashboard.service.errors import InvalidInput, Refused
from dashboard.service.imports.read import RawRow, parse_date
from dashboard.service.imports.texts import change, refusal
from dashboard.service.texts import status_label
from handlers.localtime import WIB
from messages.form_labels import form_labels
from storage.coverage_models import Coverage
from storage.submissions import ALL_STATUSES

OPEN_BEFORE_REGISTRATION = ("baru", "diproses", "dihubungi")
STATE_COLUMNS = (
    "id",
    "reference",
    "status",
    "branch_code",
    "nik_hash",
    "kpj_number",
    "registered_at",
    "created_at",
)
"""What the checks read of a submission (the preview loads only these)."""


class SubmissionState(Protocol):
    """A submission as the checks see it: the ORM object, or a row of STATE_COLUMNS."""

    @property
    def status(self) -> str: ...
    @property
    def kpj_number(self) -> str | None: ...
    @property
    def registered_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...


NOTE_MAX = 1000


@dataclass(frozen=True)
class Outcome:
    """What a row would do to its submission; `error` set when it is refused."""

    error: str | None = None
    changes: tuple[str, ...] = ()
    status: str | None = None
    """The status after the row (the target status)."""
    kpj: str | None = None
    registered_on: date | None = None
    paid_until: date | None = None
    """None: "paid until" stays as it is."""
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@cache
def _status_words() -> dict[str, str]:
    words = {code: code for code in ALL_STATUSES}
    for code, label in form_labels()["statuses"].items():
        words[label.lower()] = code
        words[label.split(",")[0].strip().lower()] = code
    words |= {"sedang diproses": "diproses", "sudah dihubungi": "dihubungi", "batal": "dibatalkan"}
    return words


def read_status(text: str) -> str | None:
    return _status_words().get(" ".join(text.lower().split()))


def _day(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else change("empty")


def _date_cell(raw: RawRow, column: str) -> tuple[date | None, str | None]:
    value = raw.cells.get(column)
    if raw.text(column) == "":
        return None, None
    parsed = parse_date(value)
    if parsed is None:
        return None, refusal("date_format", column=column, value=raw.text(column)[:40])
    return parsed, None


def check_row(raw: RawRow, submission: SubmissionState, coverage: Coverage | None, now: datetime) -> Outcome:
    """The row's outcome for this submission (one the caller may see), as of `now`."""
    status_text = raw.text("status")
    if not status_text:
        return Outcome(error=refusal("status_missing"))
    target = read_status(status_text)
    if target is None:
        return Outcome(error=refusal("status_unknown", status=status_text[:40]))
    current = submission.status
    note = raw.text("note")[:NOTE_MAX] or None
    if target != current and not (target == "terdaftar" and current in OPEN_BEFORE_REGISTRATION):
        try:
            workflow.check_transition(current, target)
        except (Refused, InvalidInput) as exc:
            return Outcome(error=str(exc))
    changes = (
        [] if target == current else [change("status", old=status_label(current), new=status_label(target))]
    )
    if target == "ditolak" and not note:
        return Outcome(error=refusal("note_missing"))
    if target != "terdaftar":
        return Outcome(changes=tuple(changes), status=target, note=note)
    return _registration(raw, submission, coverage, now, changes, note)


def _registration(
    raw: RawRow,
    submission: SubmissionState,
    coverage: Coverage | None,
    now: datetime,
    changes: list[str],
    note: str | None,
) -> Outcome:
    old_kpj = coverage.kpj if coverage else submission.kpj_number
    kpj_text = raw.text("kpj") or (old_kpj if submission.status == "terdaftar" else "")
    try:
        kpj = workflow.clean_kpj(kpj_text)
    except InvalidInput as exc:
        return Outcome(error=str(exc))
    registered_on, error = _date_cell(raw, "registered_on")
    paid_until, paid_error = _date_cell(raw, "paid_until")
    if error or paid_error:
        return Outcome(error=error or paid_error)
    today = now.astimezone(WIB).date()
    old_registered = coverage.registered_on if coverage else None
    if registered_on is None:
        registered_on = old_registered or (
            submission.registered_at.astimezone(WIB).date() if submission.registered_at else today
        )
    if registered_on > today:
        return Outcome(error=refusal("date_future", value=_day(registered_on)))
    signup = submission.created_at.astimezone(WIB).date()
    if registered_on < signup:
        return Outcome(error=refusal("before_signup", value=_day(registered_on), signup=_day(signup)))
    if paid_until is not None and paid_until < registered_on:
        return Outcome(
            error=refusal("paid_before_registered", value=_day(paid_until), registered=_day(registered_on))
        )
    if kpj != old_kpj:
        changes.append(change("kpj", old=old_kpj or change("empty"), new=kpj))
    if registered_on != old_registered:
        changes.append(change("registered_on", old=_day(old_registered), new=_day(registered_on)))
    old_paid = coverage.paid_until if coverage else None
    if paid_until is not None and paid_until != old_paid:
        changes.append(change("paid_until", old=_day(old_paid), new=_day(paid_until)))
    return Outcome(
        changes=tuple(changes),
        status="terdaftar",
        kpj=kpj,
        registered_on=registered_on,
        paid_until=paid_until,
        note=note,
    )
