"""The API's back office: the follow-up queue, one submission and its actions (status, assignment,
calls, the audited NIK reveal), the export, reports and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service import Backoffice, QueueFilters, SubmissionDetail
from dashboard.service.auditlog import AuditItem
from dashboard.service.export.formats import FORMATS
from dashboard.service.queue import MAX_PAGE_SIZE, PAGE_SIZE, QueueItem
from dashboard.service.reports import ReportTable
from storage.submissions import normalize_reference

Status = Literal["diproses", "dihubungi", "terdaftar", "ditolak", "dibatalkan"]
Outcome = Literal["tidak_diangkat", "nomor_salah", "minta_telepon_lagi", "berhasil"]


class SubmissionList(BaseModel):
    items: list[QueueItem]
    next: str | None = Field(description="Cursor of the next page; null on the last one.")
    counts: dict[str, int] = Field(description="Submissions per status in your queue (filters aside).")


class StatusChange(BaseModel):
    status: Status
    note: str | None = Field(default=None, max_length=1000)
    kpj: str | None = Field(default=None, description="KPJ card number (11 digits); required for terdaftar.")
    reason: str | None = Field(default=None, description="Rejection reason code; required for ditolak.")
    expected_version: int | None = Field(
        default=None, description="The `version` you read: a change made since then answers 409."
    )


class Assignment(BaseModel):
    expected_version: int | None = None


class Reassignment(BaseModel):
    username: str
    expected_version: int | None = None


class CallAttemptIn(BaseModel):
    outcome: Outcome
    callback_at: datetime | None = Field(default=None, description="Required for minta_telepon_lagi.")
    note: str | None = Field(default=None, max_length=1000)


class RevealedNik(BaseModel):
    reference: str
    nik: str


class ReportOut(BaseModel):
    date_from: date
    date_to: date
    tables: list[ReportTable]


class AuditOut(BaseModel):
    items: list[AuditItem]
    next: str | None


def office_router(backoffice: Backoffice) -> APIRouter:
    """The routes, over the app's Backoffice (also kept on `app.state.backoffice`)."""
    router = APIRouter(prefix=PREFIX, tags=["back office"])
    run = service_call

    @router.get("/submissions", response_model=SubmissionList, summary="The follow-up queue, oldest first")
    async def list_submissions(
        access: Caller,
        status: str | None = None,
        branch: str | None = None,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
        created_from: date | None = None,
        created_to: date | None = None,
        regency_code: str | None = None,
        district_code: str | None = None,
        occupation: str | None = None,
        channel: str | None = None,
        attribution_code: str | None = None,
        flag: str | None = None,
        assigned: str | None = None,
        overdue: bool = False,
        officer: Annotated[
            str | None, Query(description="The username of the officer handling them.")
        ] = None,
        q: Annotated[str | None, Query(description="Reference, NIK or phone number (exact).")] = None,
    ) -> SubmissionList:
        filters = QueueFilters(
            status=status,
            branch=branch,
            created_from=created_from,
            created_to=created_to,
            regency_code=regency_code,
            district_code=district_code,
            occupation=occupation,
            channel=channel,
            attribution_code=attribution_code,
            flag=flag,
            assigned=assigned,
            overdue=overdue,
            search=q,
            officer=officer,
            sort="waiting",  # the API's documented order, with its keyset cursor
        )
        page = await run(backoffice.queue(access, filters, cursor=cursor, limit=limit))
        return SubmissionList(items=page.items, next=page.next_cursor, counts=page.counts)

    @router.get(
        "/submissions/{reference}", response_model=SubmissionDetail, summary="One submission, NIK masked"
    )
    async def get_submission(access: Caller, reference: str) -> SubmissionDetail:
        detail: SubmissionDetail = await run(backoffice.detail(access, reference))
        return detail

    @router.post(
        "/submissions/{reference}/status", response_model=SubmissionDetail, summary="Change the status"
    )
    async def change_status(access: Caller, reference: str, body: StatusChange) -> SubmissionDetail:
        detail: SubmissionDetail = await run(
            backoffice.change_status(
                access,
                reference,
                body.status,
                note=body.note,
                kpj=body.kpj,
                reason=body.reason,
                expected_version=body.expected_version,
            )
        )
        return detail

    @router.post("/submissions/{reference}/assign", response_model=SubmissionDetail, summary="Assign to me")
    async def assign(access: Caller, reference: str, body: Assignment | None = None) -> SubmissionDetail:
        expected = body.expected_version if body else None
        detail: SubmissionDetail = await run(backoffice.assign(access, reference, expected))
        return detail

    @router.post(
        "/submissions/{reference}/reassign", response_model=SubmissionDetail, summary="Reassign (supervisor)"
    )
    async def reassign(access: Caller, reference: str, body: Reassignment) -> SubmissionDetail:
        detail: SubmissionDetail = await run(
            backoffice.reassign(access, reference, body.username, body.expected_version)
        )
        return detail

    @router.post("/submissions/{reference}/calls", response_model=SubmissionDetail, summary="Record a call")
    async def record_call(access: Caller, reference: str, body: CallAttemptIn) -> SubmissionDetail:
        detail: SubmissionDetail = await run(
            backoffice.record_call(
                access, reference, body.outcome, callback_at=body.callback_at, note=body.note
            )
        )
        return detail

    @router.post(
        "/submissions/{reference}/nik", response_model=RevealedNik, summary="Reveal the full NIK (audited)"
    )
    async def reveal_nik(access: Caller, reference: str) -> RevealedNik:
        nik: str = await run(backoffice.reveal_nik(access, reference))
        return RevealedNik(reference=normalize_reference(reference), nik=nik)

    @router.get("/export", summary="The filtered queue as CSV, JSON or XLSX (audited)")
    async def export(
        access: Caller,
        format: Literal["csv", "json", "xlsx"] = "csv",
        status: str | None = None,
        branch: str | None = None,
    ) -> Response:
        data: bytes = await run(backoffice.export(access, QueueFilters(status=status, branch=branch), format))
        return Response(
            data,
            media_type=FORMATS[format].media_type,
            headers={"Content-Disposition": f'attachment; filename="pendaftaran.{format}"'},
        )

    @router.get("/reports", response_model=ReportOut, summary="Figures (supervisor, admin, mitra)")
    async def reports(
        access: Caller, date_from: date | None = None, date_to: date | None = None, branch: str | None = None
    ) -> ReportOut:
        report = await run(backoffice.reports(access, date_from=date_from, date_to=date_to, branch=branch))
        return ReportOut(date_from=report.date_from, date_to=report.date_to, tables=list(report.tables))

    @router.get("/audit", response_model=AuditOut, summary="The audit log (supervisor: branch; admin: all)")
    async def audit(
        access: Caller,
        action: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        cursor: str | None = None,
    ) -> AuditOut:
        page = await run(
            backoffice.audit(access, action=action, date_from=date_from, date_to=date_to, cursor=cursor)
        )
        return AuditOut(items=page.items, next=page.next_cursor)

    return router
