"""The queue's bulk actions (`POST /staff/bulk`): on the ticked rows, "Saya tangani", reassign
(a supervisor), a status change, or a download of just those rows.

Each row goes through the same service call as on its own page (`dashboard.service.bulk`), so
the answer is a page with one line per row: done, or why not. A download is the export of the
selection, audited like any export.
"""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request, Response

from dashboard.service.bulk import run_bulk
from dashboard.service.errors import InvalidInput
from dashboard.service.export.formats import FORMATS
from dashboard.service.queue import QueueFilters
from dashboard.web.auth import checked_form
from dashboard.web.context import StaffPages, form_text
from handlers.localtime import WIB

EXPORTS = {"export_csv": "csv", "export_xlsx": "xlsx"}
ACTIONS = {"assign": "assign", "reassign": "assign", "status": "status"}


def _back(value: str) -> str:
    """The queue view the form came from (only a path of this site's queue)."""
    return value if re.fullmatch(r"/staff(\?[^\s<>\"']*)?", value) else "/staff"


def add_bulk_routes(router: APIRouter, pages: StaffPages) -> None:
    async def bulk(request: Request) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        references = [v for v in form.getlist("ref") if isinstance(v, str)]
        action = form_text(form, "tindakan")
        back = _back(form_text(form, "kembali"))
        if not references:
            raise InvalidInput("ref", "Centang dulu pendaftaran yang akan diproses.")
        if action in EXPORTS:
            fmt = EXPORTS[action]
            filters = QueueFilters(references=tuple(references))
            body = await pages.backoffice.export(staff.account, filters, fmt)
            stamp = datetime.now(WIB).strftime("%Y%m%d-%H%M")
            return Response(
                body,
                media_type=FORMATS[fmt].media_type,
                headers={"Content-Disposition": f'attachment; filename="pilihan-{stamp}.{fmt}"'},
            )
        if action not in ACTIONS:
            raise InvalidInput("tindakan", "Pilih tindakan untuk yang dicentang.")
        assignee = form_text(form, "bulk_petugas") if action == "reassign" else staff.username
        if action == "reassign" and not assignee:
            raise InvalidInput("bulk_petugas", "Pilih petugas tujuan.")
        results = await run_bulk(
            pages.backoffice,
            staff.account,
            references,
            ACTIONS[action],
            assignee=assignee,
            status=form_text(form, "status") or None,
            note=form_text(form, "note") or None,
        )
        done = sum(1 for r in results if r.ok)
        return pages.page(
            request,
            "bulk.html",
            title="Hasil tindakan",
            staff=staff,
            nav="queue",
            results=results,
            done=done,
            refused=len(results) - done,
            back=back,
        )

    router.add_api_route("/bulk", bulk, methods=["POST"])
