"""The import page (`/staff/imports`): upload the branch system's file, see the preview (each
row: what changes, or why it is refused), apply with one button; the template to fill.

The preview is a dry run of the same service call the API and the CLI make; "Terapkan" sends
the file back sealed (dashboard/service/imports/sealed.py) and applies it. Branch scope, the
checks and the audit live in the service.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from dashboard.service.errors import InvalidInput
from dashboard.service.imports import Importer, ImportReport
from dashboard.service.imports.read import COLUMNS
from dashboard.service.imports.sealed import Upload, seal, unseal
from dashboard.service.imports.template import template_csv, template_xlsx
from dashboard.service.imports.texts import column_help, refusal
from dashboard.web.auth import StaffUser, checked_form
from dashboard.web.context import StaffPages, form_text

MAX_FILE = 10 * 1024 * 1024
SHOWN_CHANGES = 300
"""Rows that change something listed on the page (every refused row is listed)."""
TEMPLATES = {
    "csv": (template_csv, "text/csv; charset=utf-8"),
    "xlsx": (template_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def add_import_routes(router: APIRouter, pages: StaffPages) -> None:
    importer = Importer(pages.backoffice)
    vault = pages.backoffice.vault

    async def show(
        request: Request,
        staff: StaffUser,
        *,
        report: ImportReport | None = None,
        sealed: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        refused = [r for r in report.results if not r.ok] if report else []
        changing = [r for r in report.results if r.ok and r.changes] if report else []
        return pages.page(
            request,
            "imports.html",
            title="Impor data cabang",
            staff=staff,
            nav="imports",
            report=report,
            refused=refused,
            changing=changing[:SHOWN_CHANGES],
            more_changes=max(0, len(changing) - SHOWN_CHANGES),
            sealed=sealed,
            flashes=[{"kind": "error", "text": error}] if error else [],
            columns=[(key, column_help()[key]) for key in COLUMNS],
            recent=await importer.recent(staff.account),
            status_code=status_code,
        )

    async def page(request: Request) -> Response:
        staff = await pages.user(request)
        staff.account.require(staff.works_the_queue)
        return await show(request, staff)

    async def template(request: Request, fmt: str) -> Response:
        await pages.user(request)
        if fmt not in TEMPLATES:
            raise InvalidInput("format", "Templat tersedia sebagai CSV atau XLSX.")
        make, media_type = TEMPLATES[fmt]
        headers = {"Content-Disposition": f'attachment; filename="templat-impor.{fmt}"'}
        return Response(make(), media_type=media_type, headers=headers)

    async def preview(request: Request) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await show(request, staff, error=refusal("no_file"), status_code=422)
        content = await upload.read(MAX_FILE + 1)
        if not content:
            return await show(request, staff, error=refusal("no_file"), status_code=422)
        file = Upload(upload.filename[:200], content)
        try:
            report = await importer.run(staff.account, file.content, file.file_name, dry_run=True)
        except InvalidInput as exc:
            return await show(request, staff, error=exc.message, status_code=422)
        now = pages.backoffice.clock()
        sealed = seal(vault, staff.account.username, file, now) if report.changed else None
        return await show(request, staff, report=report, sealed=sealed)

    async def apply(request: Request) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        try:
            file = unseal(vault, staff.account.username, form_text(form, "sealed"), pages.backoffice.clock())
            report = await importer.run(staff.account, file.content, file.file_name, dry_run=False)
        except InvalidInput as exc:
            return await show(request, staff, error=exc.message, status_code=422)
        return await show(request, staff, report=report)

    router.add_api_route("/imports", page, methods=["GET"])
    router.add_api_route("/imports/templat.{fmt}", template, methods=["GET"])
    router.add_api_route("/imports/preview", preview, methods=["POST"])
    router.add_api_route("/imports/apply", apply, methods=["POST"])
