"""The API's import of registrations from the branch's system: `POST /api/v1/imports`.

The file (CSV or XLSX) comes as the multipart field `file`; `dry_run=true` previews. The answer
lists every row: its number in the sheet, our reference when known, whether it is (or would be)
applied, and why not. Another branch's row reads exactly like a row naming nobody.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service import Backoffice
from dashboard.service.imports import Importer, ImportReport

MAX_FILE = 10 * 1024 * 1024
"""As the body bound of the route (bot/http_guard.py)."""


class ImportRow(BaseModel):
    row: int = Field(description="The row's number in the sheet (the header is row 1).")
    reference: str | None = None
    ok: bool
    error: str | None = Field(default=None, description="Why the row is refused (Indonesian).")
    changes: list[str] = Field(default_factory=list, description="What the row changes (Indonesian).")


class ImportOut(BaseModel):
    rows: int
    applied: int = Field(description="Rows accepted (in a dry run: that would be), changed or already so.")
    refused: int
    changed: int = Field(description="Accepted rows that change something.")
    dry_run: bool
    results: list[ImportRow]


def import_answer(report: ImportReport) -> ImportOut:
    return ImportOut(
        rows=report.rows,
        applied=report.applied,
        refused=report.refused,
        changed=report.changed,
        dry_run=report.dry_run,
        results=[
            ImportRow(row=r.row, reference=r.reference, ok=r.ok, error=r.error, changes=list(r.changes))
            for r in report.results
        ],
    )


def imports_router(backoffice: Backoffice) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["imports"])
    importer = Importer(backoffice)

    @router.post(
        "/imports",
        response_model=ImportOut,
        response_model_exclude_none=True,
        summary="Import registrations from the branch's system (CSV or XLSX)",
    )
    async def import_registrations(
        access: Caller,
        file: Annotated[UploadFile, File(description="CSV or XLSX: reference or nik, status, kpj, ...")],
        dry_run: Annotated[bool, Query(description="true: preview only, nothing is changed.")] = True,
    ) -> ImportOut:
        content = await file.read(MAX_FILE + 1)
        report: ImportReport = await service_call(
            importer.run(access, content, file.filename or "upload", dry_run=dry_run)
        )
        return import_answer(report)

    return router
