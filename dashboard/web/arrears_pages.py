"""`/staff/arrears`: the branch's workers behind with payments (menunggak, nonaktif), with filters
by state, regency and the answer to "kenapa belum bayar?". The service scopes it to the
officer's branch (dashboard/service/arrears.py); a mitra account gets the 403 page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from dashboard.service.arrears import NOT_ANSWERED, NOT_ASKED, REASONS, STATES, Filters, list_arrears
from dashboard.web.context import StaffPages
from messages.payment import payment_data

STATE_LABELS = {"menunggak": "Menunggak", "nonaktif": "Nonaktif"}
ANSWER_LABELS = {NOT_ASKED: "Belum ditanya", NOT_ANSWERED: "Belum menjawab", **REASONS}


def add_arrears_routes(router: APIRouter, pages: StaffPages) -> None:
    backoffice = pages.backoffice

    async def listing(request: Request) -> Response:
        staff = await pages.user(request)
        params = request.query_params
        chosen = {key: params.get(key, "") for key in ("keadaan", "kabupaten", "jawaban")}
        filters = Filters(
            state=chosen["keadaan"] if chosen["keadaan"] in STATES else None,
            regency=chosen["kabupaten"] or None,
            answer=chosen["jawaban"] if chosen["jawaban"] in ANSWER_LABELS else None,
        )
        page = await list_arrears(backoffice.db, staff.account, backoffice.clock(), filters)
        return pages.page(
            request,
            "arrears.html",
            title="Menunggak",
            staff=staff,
            nav="arrears",
            page=page,
            chosen=chosen,
            states=list(STATE_LABELS.items()),
            state_labels=STATE_LABELS,
            answers=list(ANSWER_LABELS.items()),
            inactive_after=payment_data().late.months_before_inactive,
        )

    router.add_api_route("/arrears", listing, methods=["GET"])
