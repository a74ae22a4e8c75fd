"""`POST /api/v1/submissions/bulk`: assign or change the status of several sign-ups at once,
one result per reference (see `dashboard.service.bulk`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service import Backoffice
from dashboard.service.bulk import MAX_REFERENCES, BulkResult, run_bulk

Status = Literal["diproses", "dihubungi", "terdaftar", "ditolak", "dibatalkan"]


class BulkIn(BaseModel):
    references: list[str] = Field(min_length=1, max_length=MAX_REFERENCES)
    action: Literal["assign", "status"]
    assignee: str | None = Field(
        default=None, description="assign: the officer (a supervisor's choice); empty: yourself."
    )
    status: Status | None = Field(default=None, description="status: the new status (required).")
    note: str | None = Field(default=None, max_length=1000)
    kpj: str | None = Field(default=None, description="KPJ card number (11 digits) for terdaftar.")
    reason: str | None = Field(default=None, description="Rejection reason code for ditolak.")


class BulkRowOut(BaseModel):
    reference: str
    ok: bool
    error: str | None = Field(default=None, description="Why this row was refused (Indonesian).")


class BulkOut(BaseModel):
    results: list[BulkRowOut]


def bulk_router(backoffice: Backoffice) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["back office"])

    @router.post(
        "/submissions/bulk",
        response_model=BulkOut,
        response_model_exclude_none=True,
        summary="Assign or change the status of several submissions (one result each)",
    )
    async def bulk(access: Caller, body: BulkIn) -> BulkOut:
        results: list[BulkResult] = await service_call(
            run_bulk(
                backoffice,
                access,
                body.references,
                body.action,
                assignee=body.assignee,
                status=body.status,
                note=body.note,
                kpj=body.kpj,
                reason=body.reason,
            )
        )
        return BulkOut(results=[BulkRowOut(reference=r.reference, ok=r.ok, error=r.error) for r in results])

    return router
