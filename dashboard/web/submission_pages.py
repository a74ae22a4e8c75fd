"""One submission's page (`/staff/submissions/{reference}`) and its actions: the audited NIK
reveal, "Saya tangani", reassignment, a call, a status change.

POST handlers answer with a redirect to the page that shows the result (so a reload does not
repeat the action), except when the service refused: then the page is shown again with the
reason, what was typed kept, and, when someone else changed the submission first, its new state.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.service.cases import SubmissionDetail
from dashboard.service.errors import InvalidInput, Refused, Stale
from dashboard.service.texts import call_outcomes, rejection_reasons
from dashboard.service.workflow import NOTIFIED
from dashboard.web.auth import StaffUser, checked_form, session_of
from dashboard.web.context import StaffPages, form_text
from handlers.localtime import WIB

# POST /staff/submissions/{reference}/<path> → the action it performs.
ACTIONS = {"assign": "assign", "reassign": "reassign", "calls": "call", "status": "status"}
REVEAL_SECONDS = 600
"""How long the page after a NIK reveal shows it on reload."""
# Fields of the action forms kept when a refused form is shown again.
TYPED_FIELDS = ("status", "kpj", "reason", "note", "outcome", "callback_at")


def _optional_int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def parse_local_time(value: str) -> datetime | None:
    """An <input type="datetime-local"> value, read as the branch's local time (WIB)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=WIB)
    except ValueError as exc:
        raise InvalidInput("callback_at", "Waktu menelepon lagi tidak terbaca.") from exc


def add_submission_routes(router: APIRouter, pages: StaffPages) -> None:
    backoffice = pages.backoffice

    async def detail_page(
        request: Request,
        staff: StaffUser,
        submission: SubmissionDetail,
        *,
        status_code: int = 200,
        error: str | None = None,
        stale: str | None = None,
        revealed_nik: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        officers: list[str] = []
        if staff.can_reassign:
            officers = await backoffice.officers(staff.account, submission.branch_code)
        return pages.page(
            request,
            "detail.html",
            title=f"Pendaftaran {submission.reference}",
            staff=staff,
            nav="queue",
            s=submission,
            can_act=staff.works_the_queue and not submission.anonymised,
            officers=officers,
            call_outcomes=call_outcomes(),
            rejection_reasons=rejection_reasons(),
            revealed_nik=revealed_nik,
            error=error,
            stale=stale,
            form=form or {},
            status_code=status_code,
        )

    async def detail(request: Request, reference: str) -> Response:
        staff = await pages.user(request)
        submission = await backoffice.detail(staff.account, reference)
        nik = None
        now = int(time.time())
        if pages.codec.granted(session_of(request), f"nik:{reference}", request.query_params.get("nik"), now):
            nik = await backoffice.reveal_nik(staff.account, reference, audit=False)  # audited at the POST
        return await detail_page(request, staff, submission, revealed_nik=nik)

    async def reveal_nik(request: Request, reference: str) -> Response:
        """Audited once, then the page shows it (a reload shows it again, no second entry)."""
        staff = await pages.user(request)
        await checked_form(request, pages.codec)
        await backoffice.reveal_nik(staff.account, reference)
        grant = pages.codec.grant(session_of(request), f"nik:{reference}", int(time.time()) + REVEAL_SECONDS)
        return RedirectResponse(f"/staff/submissions/{quote(reference)}?nik={grant}", status_code=303)

    async def act(request: Request, reference: str, action: str) -> Response:
        """Saya tangani, reassign, a call, a status change: one POST each."""
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        access = staff.account
        version = _optional_int(form.get("version"))
        typed = {key: form_text(form, key) for key in TYPED_FIELDS}
        done = action
        try:
            if action == "assign":
                await backoffice.assign(access, reference, version)
            elif action == "reassign":
                await backoffice.reassign(access, reference, form_text(form, "username"), version)
            elif action == "call":
                await backoffice.record_call(
                    access,
                    reference,
                    typed["outcome"],
                    callback_at=parse_local_time(typed["callback_at"]),
                    note=typed["note"] or None,
                )
            else:
                changed = await backoffice.change_status(
                    access,
                    reference,
                    typed["status"],
                    note=typed["note"] or None,
                    kpj=typed["kpj"] or None,
                    reason=typed["reason"] or None,
                    expected_version=version,
                )
                done = "status_notified" if changed.status in NOTIFIED else "status"
        except Stale as stale:
            return await detail_page(request, staff, stale.current, status_code=409, stale=stale.message)
        except (Refused, InvalidInput) as refused:
            current = await backoffice.detail(access, reference)
            kept = {**typed, "call_note": typed["note"]} if action == "call" else typed
            return await detail_page(
                request,
                staff,
                current,
                status_code=409 if isinstance(refused, Refused) else 422,
                error=refused.message,
                form=kept,
            )
        url = f"/staff/submissions/{quote(reference)}?ok={done}"
        return RedirectResponse(url, status_code=303)

    def action_handler(action: str) -> Any:
        async def handler(request: Request, reference: str) -> Response:
            return await act(request, reference, action)

        handler.__name__ = f"submission_{action}"
        return handler

    router.add_api_route("/submissions/{reference}", detail, methods=["GET"])
    router.add_api_route("/submissions/{reference}/nik", reveal_nik, methods=["POST"])
    for path, action in ACTIONS.items():
        router.add_api_route(f"/submissions/{{reference}}/{path}", action_handler(action), methods=["POST"])
