"""Bulk actions on selected sign-ups: assign, or change the status, row by row.

Each reference is its own unit of work through the same `Backoffice` method a single action
uses, so every row is checked against the status graph and the ownership rules, audited, and
notified exactly as if done one by one; one refused row never undoes the others. The answer has
one result per reference, in the order given (duplicates once). Another branch's reference
fails with the same message as an unknown one.

Checked once for the whole request: the action is known, a status change names its status, and
assigning to someone else needs a supervisor (a staff account may assign to itself only).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.service.access import Access
from dashboard.service.backoffice import Backoffice
from dashboard.service.errors import Forbidden, InvalidInput, ServiceError
from storage.submissions import normalize_reference

ACTIONS = ("assign", "status")
MAX_REFERENCES = 200


@dataclass(frozen=True)
class BulkResult:
    reference: str
    ok: bool
    error: str | None = None
    status: str | None = None
    """The row's status after the action (None when it failed)."""


def _references(references: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for reference in references:
        text = reference.strip()
        if text:
            seen.setdefault(normalize_reference(text), None)
    if not seen:
        raise InvalidInput("references", "Pilih paling sedikit satu pendaftaran.")
    if len(seen) > MAX_REFERENCES:
        raise InvalidInput("references", f"Paling banyak {MAX_REFERENCES} pendaftaran sekaligus.")
    return list(seen)


async def run_bulk(
    office: Backoffice,
    access: Access,
    references: list[str],
    action: str,
    *,
    assignee: str | None = None,
    status: str | None = None,
    note: str | None = None,
    kpj: str | None = None,
    reason: str | None = None,
) -> list[BulkResult]:
    """One result per reference (see the module's note)."""
    access.require(access.sees_people)
    if action not in ACTIONS:
        raise InvalidInput("action", 'Tindakan harus "assign" atau "status".')
    chosen = _references(references)
    assignee = (assignee or "").strip().lower() or None
    to_self = assignee in (None, access.username)
    if action == "assign" and not to_self and not access.may_reassign:
        raise Forbidden("Hanya kepala bidang yang dapat mengalihkan pendaftaran ke petugas lain.")
    if action == "status" and not status:
        raise InvalidInput("status", "Pilih status baru.")
    results = []
    for reference in chosen:
        try:
            if action == "assign" and to_self:
                detail = await office.assign(access, reference)
            elif action == "assign":
                detail = await office.reassign(access, reference, assignee or "")
            else:
                detail = await office.change_status(
                    access, reference, status or "", note=note, kpj=kpj, reason=reason
                )
        except ServiceError as refused:
            results.append(BulkResult(reference, False, refused.message))
        else:
            results.append(BulkResult(detail.reference, True, status=detail.status))
    return results
