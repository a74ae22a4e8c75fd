"""The status graph of a submission, the checks on each change, and the one ownership rule.

    baru → diproses → dihubungi → terdaftar
    any of the first three → ditolak (a reason from the list and a note) or dibatalkan

`terdaftar`, `ditolak` and `dibatalkan` are final. A refusal says why in Indonesian.

Ownership and status agree, whichever path changes them ("Saya tangani", a supervisor's
"Alihkan", "Ubah status", the API): a sign-up being worked (`diproses`, `dihubungi`) has an
officer, so a move there without one assigns the officer who made it (`owner_after`); and a
`baru` sign-up that gets an officer, taken or handed over, is being worked (`status_when_owned`).
"""

from __future__ import annotations

import re

from dashboard.service.errors import InvalidInput, Refused
from dashboard.service.texts import refusal, rejection_reasons, status_label
from storage.submissions import ALL_STATUSES

FORWARD = ("baru", "diproses", "dihubungi", "terdaftar")
EXITS = ("ditolak", "dibatalkan")
FINAL = ("terdaftar", "ditolak", "dibatalkan")
NOTIFIED = ("dihubungi", "terdaftar", "ditolak")
"""Changes the worker is told about."""
WORKED = ("diproses", "dihubungi")
"""Statuses in which an officer works the sign-up: it always has one."""

KPJ_DIGITS = 11
_KPJ_NOISE = re.compile(r"[\s.\-]")


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses a submission in `status` may move to."""
    if status in FINAL or status not in FORWARD:
        return ()
    return (FORWARD[FORWARD.index(status) + 1], *EXITS)


def owner_after(new_status: str, owner_id: int | None, actor_id: int | None) -> int | None:
    """Who holds the sign-up after a move to `new_status` by `actor_id` (None: an operator at
    the command line or the bot): the owner it had, else the officer who moved it into work."""
    if owner_id is None and new_status in WORKED:
        return actor_id
    return owner_id


def status_when_owned(status: str) -> str | None:
    """The status a sign-up moves to when an officer takes it or is handed it (None: stays)."""
    return "diproses" if status == "baru" else None


def check_transition(current: str, new: str) -> None:
    """Raises Refused (or InvalidInput for an unknown status) unless current → new is allowed."""
    labels = {"from": status_label(current), "to": status_label(new)}
    if new not in ALL_STATUSES:
        raise InvalidInput("status", refusal("unknown", to=new))
    if new == current:
        raise Refused(refusal("same", **labels))
    if current in FINAL:
        raise Refused(refusal("final", **labels))
    if new in allowed_next(current):
        return
    if new in FORWARD and FORWARD.index(new) < FORWARD.index(current):
        raise Refused(refusal("backwards", **labels))
    raise Refused(refusal("skip", **labels))


def clean_kpj(value: str | None) -> str:
    """The KPJ card number (11 digits; spaces, dots and dashes dropped) or InvalidInput."""
    if not value or not value.strip():
        raise InvalidInput("kpj", refusal("kpj_missing"))
    digits = _KPJ_NOISE.sub("", value)
    if not (digits.isdigit() and len(digits) == KPJ_DIGITS):
        raise InvalidInput("kpj", refusal("kpj_format"))
    return digits


def check_rejection(reason: str | None, note: str | None) -> str:
    if not reason:
        raise InvalidInput("reason", refusal("reason_missing"))
    if reason not in rejection_reasons():
        raise InvalidInput("reason", refusal("reason_unknown"))
    if not note or not note.strip():
        raise InvalidInput("note", refusal("note_missing"))
    return reason
