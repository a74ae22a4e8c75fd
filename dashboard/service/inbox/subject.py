"""Whose chat: the worker behind a submission or a callback request, within the caller's scope.

A submission is named by its reference (a `str`), a callback request by its id (an `int`).
Another branch's is `NotFound`, exactly like one that does not exist (the lookups of
`dashboard.service.cases` and `.callbacks` decide).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import callbacks, cases
from dashboard.service.access import Access
from storage.models import Contact

Target = str | int
"""A submission's reference, or a callback request's id."""


@dataclass(frozen=True)
class Subject:
    """The worker an officer talks to, and what the conversation is about."""

    contact: Contact | None
    """None when the person erased their data (nobody to talk to any more)."""
    branch_code: str
    reference: str | None = None
    submission_id: int | None = None
    callback_id: int | None = None

    @property
    def audit(self) -> dict[str, object]:
        """What the audit log says of it: a reference or a request id, never personal data."""
        return {"reference": self.reference} if self.reference else {"callback": self.callback_id}


async def subject_of(session: AsyncSession, access: Access, target: Target) -> Subject:
    """The subject, if the caller may see it; NotFound otherwise."""
    if isinstance(target, int):
        request = await callbacks._load(session, access, target)  # scoped: NotFound elsewhere
        contact = await _contact(session, request.contact_id)
        return Subject(contact, request.branch_code, callback_id=request.id)
    submission = await cases.load(session, access, target)
    contact_id = submission.contact_id if submission.anonymised_at is None else None
    contact = await _contact(session, contact_id)
    return Subject(contact, submission.branch_code, submission.reference, submission_id=submission.id)


async def _contact(session: AsyncSession, contact_id: int | None) -> Contact | None:
    return None if contact_id is None else await session.get(Contact, contact_id)
