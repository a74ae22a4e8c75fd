"""Callback requests ("minta ditelepon") as the branch works them.

A request comes from the worker's "petugas" / "minta ditelepon" (handlers/flows/callback.py)
or from a session follow-up that asked for help (handlers/flows/followup.py); both are one
`CallbackRequest` row. The branch lists its open ones oldest first, an officer takes one
("Saya tangani"), calls, and closes it as `selesai` (talked) or `tidak_terhubung` (not
reached), with a note. The number is masked everywhere except in the audited reveal.

A request outside the caller's scope raises NotFound, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import BRANCH_ROLES, Access, scope_callbacks
from dashboard.service.errors import InvalidInput, NotFound, Refused, Stale
from dashboard.service.queue import usernames
from dashboard.service.texts import callback_status_label, refusal
from handlers.channels import Catalogue
from handlers.regions import region
from storage.callbacks import CALLBACK_STATUSES, OPEN_STATUSES
from storage.crypto import Vault
from storage.models import CallbackRequest, Contact, Submission
from storage.outreach_models import SocialSession

OPEN = OPEN_STATUSES
CLOSED = tuple(code for code in CALLBACK_STATUSES if code not in OPEN_STATUSES)
STATUSES = CALLBACK_STATUSES
NOTE_MAX = 1000
LIST_LIMIT = 200


@dataclass(frozen=True)
class CallbackItem:
    """One request as the branch sees it: the number masked."""

    id: int
    status: str
    status_label: str
    branch_code: str
    channel: str
    created_at: datetime
    question: str | None
    regency_code: str | None
    regency_name: str | None
    session_code: str | None
    session_title: str | None
    phone_masked: str | None
    assigned_to: str | None
    assigned_at: datetime | None
    handled_at: datetime | None
    handled_by: str | None
    note: str | None
    submissions: tuple[str, ...]
    """References of the person's submissions in this branch (open them for the form's data)."""
    version: int


@dataclass(frozen=True)
class CallbackPage:
    items: list[CallbackItem]
    counts: dict[str, int]
    """Requests per status in the caller's scope (the status filter aside)."""


def mask_phone(e164: str) -> str:
    """+6281234567890 → 0812-****-890: enough to recognise, not to dial."""
    digits = "0" + e164.removeprefix("+62")
    return f"{digits[:4]}-****-{digits[-3:]}"


Linked = dict[tuple[int, str], list[tuple[str, str | None]]]
"""(contact, branch) → the person's submissions in that branch: (reference, encrypted phone)."""


async def _linked(session: AsyncSession, contact_ids: set[int]) -> Linked:
    linked: Linked = {}
    if contact_ids:
        rows = await session.exec(
            select(Submission.contact_id, Submission.branch_code, Submission.reference, Submission.phone_enc)
            .where(col(Submission.contact_id).in_(contact_ids))
            .order_by(col(Submission.id))
        )
        for contact_id, branch, reference, phone_enc in rows.all():
            if contact_id is not None:
                linked.setdefault((contact_id, branch), []).append((reference, phone_enc))
    return linked


def _phone(
    request: CallbackRequest,
    contact: Contact | None,
    submissions: list[tuple[str, str | None]],
    vault: Vault,
    channels: Catalogue,
) -> str | None:
    """The number to call: the one given, else the chat's own address on a channel whose chat id
    is the phone number, else the number of their latest sign-up in this branch (a follow-up on
    a channel that knows no number carries none)."""
    phone = vault.decrypt_optional(request.phone_enc)
    info = channels.get(contact.channel) if contact is not None else None
    if (
        phone is None
        and contact is not None
        and contact.chat_id
        and info is not None
        and info.chat_id_is_phone
    ):
        digits = contact.chat_id.lstrip("+")
        phone = f"+{digits}" if digits.isdigit() else None
    if phone is None:
        found = (vault.decrypt_optional(enc) for _reference, enc in reversed(submissions))
        phone = next((number for number in found if number), None)
    return phone


async def _reach(
    session: AsyncSession, requests: list[CallbackRequest], vault: Vault, channels: Catalogue
) -> list[tuple[str | None, tuple[str, ...]]]:
    """For each request: the number to call, and the references of the person's submissions in
    the request's branch."""
    contact_ids = {r.contact_id for r in requests if r.contact_id is not None}
    contacts: dict[int, Contact] = {}
    if contact_ids:
        found = await session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))
        contacts = {c.id: c for c in found.all() if c.id is not None}
    linked = await _linked(session, contact_ids)
    reach = []
    for r in requests:
        contact = contacts.get(r.contact_id) if r.contact_id is not None else None
        submissions = linked.get((r.contact_id, r.branch_code), []) if r.contact_id is not None else []
        phone = _phone(r, contact, submissions, vault, channels)
        reach.append((phone, tuple(reference for reference, _phone_enc in submissions)))
    return reach


async def _load(
    session: AsyncSession, access: Access, request_id: int, *, lock: bool = False
) -> CallbackRequest:
    access.require(access.sees_people)
    query = scope_callbacks(select(CallbackRequest).where(col(CallbackRequest.id) == request_id), access)
    if lock:
        query = query.with_for_update()
    found = (await session.exec(query)).first()
    if found is None:
        raise NotFound(refusal("callback_not_found"))
    return found


async def _items(
    session: AsyncSession, requests: list[CallbackRequest], vault: Vault, channels: Catalogue
) -> list[CallbackItem]:
    session_ids = {r.session_id for r in requests if r.session_id is not None}
    socials: dict[int, SocialSession] = {}
    if session_ids:
        rows = await session.exec(select(SocialSession).where(col(SocialSession.id).in_(session_ids)))
        socials = {s.id: s for s in rows.all() if s.id is not None}
    reach = await _reach(session, requests, vault, channels)
    names = await usernames(session, {r.assigned_to_id for r in requests if r.assigned_to_id is not None})
    items = []
    for r, (phone, references) in zip(requests, reach, strict=True):
        assert r.id is not None
        social = socials.get(r.session_id) if r.session_id is not None else None
        place = region(r.regency_code) if r.regency_code else None
        items.append(
            CallbackItem(
                id=r.id,
                status=r.status,
                status_label=callback_status_label(r.status),
                branch_code=r.branch_code,
                channel=r.channel,
                created_at=r.created_at,
                question=vault.decrypt_optional(r.question_enc),
                regency_code=r.regency_code,
                regency_name=place.label if place else None,
                session_code=social.code if social else None,
                session_title=social.title if social else None,
                phone_masked=mask_phone(phone) if phone else None,
                assigned_to=names.get(r.assigned_to_id) if r.assigned_to_id is not None else None,
                assigned_at=r.assigned_at,
                handled_at=r.handled_at,
                handled_by=r.handled_by,
                note=r.note,
                submissions=references,
                version=r.version,
            )
        )
    return items


async def listing(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    channels: Catalogue,
    *,
    status: str | None = "open",
    limit: int = LIST_LIMIT,
) -> CallbackPage:
    """The caller's requests, oldest first: `open` (baru and ditangani), one status, or all (None)."""
    access.require(access.sees_people)
    if status is not None and status != "open" and status not in STATUSES:
        raise InvalidInput("status", refusal("callback_status_unknown"))
    query = scope_callbacks(select(CallbackRequest), access)
    if status == "open":
        query = query.where(col(CallbackRequest.status).in_(OPEN))
    elif status is not None:
        query = query.where(col(CallbackRequest.status) == status)
    query = query.order_by(col(CallbackRequest.created_at), col(CallbackRequest.id)).limit(limit)
    requests = list((await session.exec(query)).all())
    count_query = scope_callbacks(
        select(CallbackRequest.status, func.count()).group_by(col(CallbackRequest.status)), access
    )
    counts = {code: 0 for code in STATUSES}
    for code, n in (await session.exec(count_query)).all():
        counts[code] = int(n)
    return CallbackPage(await _items(session, requests, vault, channels), counts)


async def one(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    channels: Catalogue,
    request_id: int,
    now: datetime,
    *,
    audit: bool = True,
) -> CallbackItem:
    request = await _load(session, access, request_id)
    if audit:
        _audit(session, access, "callback_view", request, now)
    return (await _items(session, [request], vault, channels))[0]


async def reveal_phone(
    session: AsyncSession, access: Access, vault: Vault, channels: Catalogue, request_id: int, now: datetime
) -> str:
    """The number to call, in full; audited."""
    request = await _load(session, access, request_id)
    ((phone, _references),) = await _reach(session, [request], vault, channels)
    if phone is None:
        raise NotFound(refusal("callback_no_phone"))
    _audit(session, access, "callback_phone_reveal", request, now)
    return phone


async def open_with_phones(
    session: AsyncSession, access: Access, vault: Vault, channels: Catalogue, *, branch: str | None
) -> list[tuple[CallbackRequest, str | None]]:
    """The open requests in the caller's scope (only `branch`'s when given), oldest first, each
    with the number to call (for the export; the caller audits reading them)."""
    access.require(access.sees_people)
    query = scope_callbacks(select(CallbackRequest), access).where(col(CallbackRequest.status).in_(OPEN))
    if branch is not None:
        query = query.where(col(CallbackRequest.branch_code) == branch)
    query = query.order_by(col(CallbackRequest.created_at), col(CallbackRequest.id))
    requests = list((await session.exec(query)).all())
    reach = await _reach(session, requests, vault, channels)
    return [(r, phone) for r, (phone, _references) in zip(requests, reach, strict=True)]


def _check_version(request: CallbackRequest, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != request.version:
        raise Stale(None)


async def take(
    session: AsyncSession, access: Access, request_id: int, now: datetime, expected_version: int | None = None
) -> CallbackRequest:
    """ "Saya tangani": the caller takes the request (a supervisor may take one from another)."""
    access.require(access.role in BRANCH_ROLES or access.all_branches)
    request = await _load(session, access, request_id, lock=True)
    _check_version(request, expected_version)
    if request.status in CLOSED:
        raise Refused(refusal("callback_closed"))
    if request.assigned_to_id == access.account_id:
        return request
    if request.assigned_to_id is not None and not access.may_reassign:
        owner = await usernames(session, {request.assigned_to_id})
        raise Refused(refusal("callback_taken", officer=owner.get(request.assigned_to_id, "?")))
    request.assigned_to_id, request.assigned_at, request.status = access.account_id, now, "ditangani"
    request.version += 1
    _audit(session, access, "callback_assign", request, now)
    return request


async def close(
    session: AsyncSession,
    access: Access,
    request_id: int,
    outcome: str,
    now: datetime,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> CallbackRequest:
    """Records the call and closes the request: `selesai` or `tidak_terhubung` (a note required)."""
    access.require(access.role in BRANCH_ROLES or access.all_branches)
    if outcome not in CLOSED:
        raise InvalidInput("outcome", refusal("outcome_unknown"))
    note = (note or "").strip()[:NOTE_MAX] or None
    if outcome == "tidak_terhubung" and note is None:
        raise InvalidInput("note", refusal("callback_note_missing"))
    request = await _load(session, access, request_id, lock=True)
    _check_version(request, expected_version)
    if request.status in CLOSED:
        raise Refused(refusal("callback_closed"))
    if request.assigned_to_id not in (None, access.account_id) and not access.may_reassign:
        owner = await usernames(session, {request.assigned_to_id} - {None})
        raise Refused(refusal("callback_taken", officer=owner.get(request.assigned_to_id or 0, "?")))
    if request.assigned_to_id is None:
        request.assigned_to_id, request.assigned_at = access.account_id, now
    request.status, request.note = outcome, note
    request.handled_at, request.handled_by = now, access.actor[:64]
    request.version += 1
    _audit(session, access, "callback_closed", request, now, outcome=outcome)
    return request


def _audit(
    session: AsyncSession,
    access: Access,
    action: str,
    request: CallbackRequest,
    now: datetime,
    **details: str,
) -> None:
    """An audit entry about one request: its id and branch, never the number or the question."""
    auditlog.record(
        session, access, action, now=now, branch=request.branch_code, callback=request.id, **details
    )
