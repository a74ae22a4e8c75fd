"""The pages of callback requests ("minta ditelepon"): the list, one request, its actions.

`/staff/callbacks` lists the branch's requests (open ones by default, oldest first) with an
inline "Saya tangani"; `/staff/callbacks/{id}` shows one, the number masked until the officer
reveals it (audited), and closes it with the call's outcome. Another branch's request is the
same 404 page as a missing one (the service raises NotFound for both).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.service.callbacks import CLOSED, STATUSES, CallbackItem
from dashboard.service.errors import InvalidInput, Refused, Stale
from dashboard.service.texts import callback_status_label
from dashboard.web.auth import StaffUser, checked_form
from dashboard.web.context import StaffPages
from messages.format import format_phone


def add_callback_routes(router: APIRouter, pages: StaffPages) -> None:
    backoffice = pages.backoffice

    def detail_page(
        request: Request,
        staff: StaffUser,
        item: CallbackItem,
        *,
        status_code: int = 200,
        revealed_phone: str | None = None,
        error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return pages.page(
            request,
            "callback.html",
            title="Minta ditelepon",
            staff=staff,
            nav="queue",
            c=item,
            can_act=staff.works_the_queue,
            outcomes={code: callback_status_label(code) for code in CLOSED},
            revealed_phone=revealed_phone,
            revealed_phone_shown=format_phone(revealed_phone) if revealed_phone else None,
            error=error,
            form=form or {},
            status_code=status_code,
        )

    async def listing(request: Request) -> Response:
        staff = await pages.user(request)
        status = request.query_params.get("status", "open")
        if status not in STATUSES:
            status = "open"
        page = await backoffice.callbacks(staff.account, status=status)
        return pages.page(
            request,
            "callbacks.html",
            title="Minta ditelepon",
            staff=staff,
            nav="queue",
            page=page,
            status=status,
            statuses=[(code, callback_status_label(code)) for code in STATUSES],
        )

    async def detail(request: Request, callback_id: int) -> Response:
        staff = await pages.user(request)
        return detail_page(request, staff, await backoffice.callback(staff.account, callback_id))

    async def reveal_phone(request: Request, callback_id: int) -> Response:
        staff = await pages.user(request)
        await checked_form(request, pages.codec)
        phone = await backoffice.reveal_callback_phone(staff.account, callback_id)
        item = await backoffice.callback(staff.account, callback_id)
        return detail_page(request, staff, item, revealed_phone=phone)

    async def act(request: Request, callback_id: int, action: str) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        typed = {key: str(form.get(key) or "").strip() for key in ("outcome", "note", "version")}
        version = int(typed["version"]) if typed["version"].isdigit() else None
        try:
            if action == "assign":
                await backoffice.take_callback(staff.account, callback_id, version)
                done = "callback_assign"
            else:
                await backoffice.close_callback(
                    staff.account,
                    callback_id,
                    typed["outcome"],
                    note=typed["note"] or None,
                    expected_version=version,
                )
                done = "callback_close"
        except Stale as stale:
            return detail_page(request, staff, stale.current, status_code=409, error=stale.message)
        except (Refused, InvalidInput) as refused:
            current = await backoffice.callback(staff.account, callback_id)
            code = 409 if isinstance(refused, Refused) else 422
            return detail_page(request, staff, current, status_code=code, error=refused.message, form=typed)
        # Taken or closed: the request's page, where the officer reveals the number and calls.
        return RedirectResponse(f"/staff/callbacks/{callback_id}?ok={done}", status_code=303)

    async def assign(request: Request, callback_id: int) -> Response:
        return await act(request, callback_id, "assign")

    async def close(request: Request, callback_id: int) -> Response:
        return await act(request, callback_id, "close")

    router.add_api_route("/callbacks", listing, methods=["GET"])
    router.add_api_route("/callbacks/{callback_id}", detail, methods=["GET"])
    router.add_api_route("/callbacks/{callback_id}/phone", reveal_phone, methods=["POST"])
    router.add_api_route("/callbacks/{callback_id}/assign", assign, methods=["POST"])
    router.add_api_route("/callbacks/{callback_id}/close", close, methods=["POST"])
