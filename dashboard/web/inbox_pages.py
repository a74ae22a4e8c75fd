"""The agent inbox's pages: a worker's conversation (from a submission or a callback request),
writing in it, the macros and saved replies, handing the chat back to the bot, `/staff/inbox`,
and a branch's saved replies (`/staff/replies`, kept by a supervisor).

Thin faces over `AgentInbox`: every POST answers with a redirect to the conversation (a reload
repeats nothing), or shows it again with the service's reason and the typed text kept.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.service.errors import InvalidInput, Refused
from dashboard.service.inbox import AgentInbox
from dashboard.service.inbox.reply import AWAITING_REPLY
from dashboard.service.inbox.subject import Target
from dashboard.web.auth import StaffUser, checked_form
from dashboard.web.context import StaffPages, form_text

DONE = {
    "sent": "Pesan masuk antrean kirim ke chat pekerja. Bot diam di chat ini selama Bapak/Ibu menanganinya.",
    AWAITING_REPLY: (
        "Chat pekerja sudah lewat 24 jam: undangan untuk membalas dikirim dulu, pesan Bapak/Ibu "
        "menyusul begitu pekerja membalas."
    ),
    "closed": "Percakapan ditutup. Bot kembali menjawab chat ini, dan pekerja sudah diberi tahu.",
    "not_held": "Tidak ada percakapan yang sedang dipegang petugas di chat ini.",
    "macro": "Langkah cepat selesai: panggilan dicatat, status diperbarui, pesan masuk antrean kirim.",
    "reply_saved": "Balasan tersimpan.",
    "reply_removed": "Balasan dihapus.",
}


def _flashes(request: Request) -> list[dict[str, str]]:
    done = request.query_params.get("done")
    return [{"kind": "ok", "text": DONE[done]}] if done in DONE else []


def _base(target: Target) -> str:
    if isinstance(target, int):
        return f"/staff/callbacks/{target}"
    return f"/staff/submissions/{quote(target)}"


def add_inbox_routes(router: APIRouter, pages: StaffPages) -> None:
    inbox = AgentInbox.of(pages.backoffice)

    async def conversation_page(
        request: Request,
        staff: StaffUser,
        target: Target,
        *,
        status_code: int = 200,
        error: str | None = None,
        typed: str = "",
    ) -> HTMLResponse:
        seen = await inbox.conversation(staff.account, target)
        return pages.page(
            request,
            "conversation.html",
            title="Percakapan " + (seen.reference or f"minta ditelepon #{seen.callback_id}"),
            staff=staff,
            nav="inbox",
            conv=seen,
            base=_base(target),
            back=_base(target),
            can_write=staff.works_the_queue and seen.reachable,
            macros=inbox.macros() if isinstance(target, str) else (),
            saved=await inbox.saved_replies(staff.account) if staff.works_the_queue else [],
            error=error,
            typed=typed,
            flashes=_flashes(request),
            status_code=status_code,
        )

    async def show(request: Request, target: Target) -> Response:
        staff = await pages.user(request)
        return await conversation_page(request, staff, target)

    async def act(request: Request, target: Target, action: str, item: str | None = None) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        text = form_text(form, "text")
        try:
            if action == "send":
                done = (await inbox.send(staff.account, target, text)).status
            elif action == "saved":
                done = (await inbox.send_saved(staff.account, target, _number(item))).status
            elif action == "macro" and isinstance(target, str):
                await inbox.run_macro(staff.account, target, item or "")
                done = "macro"
            else:
                done = "closed" if await inbox.close(staff.account, target) else "not_held"
        except (Refused, InvalidInput) as refused:
            code = 409 if isinstance(refused, Refused) else 422
            return await conversation_page(
                request, staff, target, status_code=code, error=refused.message, typed=text
            )
        done = "sent" if done == "queued" else done
        return RedirectResponse(f"{_base(target)}/conversation?{urlencode({'done': done})}", status_code=303)

    async def submission_page(request: Request, reference: str) -> Response:
        return await show(request, reference)

    async def submission_send(request: Request, reference: str) -> Response:
        return await act(request, reference, "send")

    async def submission_close(request: Request, reference: str) -> Response:
        return await act(request, reference, "close")

    async def submission_saved(request: Request, reference: str, reply_id: str) -> Response:
        return await act(request, reference, "saved", reply_id)

    async def submission_macro(request: Request, reference: str, macro_id: str) -> Response:
        return await act(request, reference, "macro", macro_id)

    async def callback_page(request: Request, callback_id: int) -> Response:
        return await show(request, callback_id)

    async def callback_send(request: Request, callback_id: int) -> Response:
        return await act(request, callback_id, "send")

    async def callback_close(request: Request, callback_id: int) -> Response:
        return await act(request, callback_id, "close")

    async def callback_saved(request: Request, callback_id: int, reply_id: str) -> Response:
        return await act(request, callback_id, "saved", reply_id)

    for prefix, page, send, close, saved in (
        ("/submissions/{reference}", submission_page, submission_send, submission_close, submission_saved),
        ("/callbacks/{callback_id}", callback_page, callback_send, callback_close, callback_saved),
    ):
        router.add_api_route(f"{prefix}/conversation", page, methods=["GET"])
        router.add_api_route(f"{prefix}/messages", send, methods=["POST"])
        router.add_api_route(f"{prefix}/conversation/close", close, methods=["POST"])
        router.add_api_route(f"{prefix}/saved/{{reply_id}}", saved, methods=["POST"])
    router.add_api_route("/submissions/{reference}/macros/{macro_id}", submission_macro, methods=["POST"])

    async def inbox_page(request: Request) -> Response:
        staff = await pages.user(request)
        officer = request.query_params.get("officer") or None
        listed = await inbox.inbox(staff.account, officer)
        return pages.page(
            request,
            "inbox.html",
            title="Kotak masuk",
            staff=staff,
            nav="inbox",
            inbox=listed,
            officer=officer,
        )

    router.add_api_route("/inbox", inbox_page, methods=["GET"])

    async def replies_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
        staff = await pages.user(request)
        return pages.page(
            request,
            "replies.html",
            title="Balasan tersimpan",
            staff=staff,
            nav="inbox",
            replies=await inbox.saved_replies(staff.account),
            may_edit=staff.account.may_reassign and not staff.account.all_branches,
            error=error,
            flashes=_flashes(request),
            status_code=status_code,
        )

    async def replies(request: Request) -> Response:
        return await replies_page(request)

    async def save_reply(request: Request) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        reply_id = form_text(form, "id")
        try:
            await inbox.save_reply(
                staff.account,
                title=form_text(form, "title"),
                text=form_text(form, "text"),
                reply_id=int(reply_id) if reply_id.isdigit() else None,
            )
        except InvalidInput as invalid:
            return await replies_page(request, error=invalid.message, status_code=422)
        return RedirectResponse("/staff/replies?done=reply_saved", status_code=303)

    async def remove_reply(request: Request, reply_id: str) -> Response:
        staff = await pages.user(request)
        await checked_form(request, pages.codec)
        await inbox.remove_reply(staff.account, _number(reply_id))
        return RedirectResponse("/staff/replies?done=reply_removed", status_code=303)

    router.add_api_route("/replies", replies, methods=["GET"])
    router.add_api_route("/replies", save_reply, methods=["POST"])
    router.add_api_route("/replies/{reply_id}/remove", remove_reply, methods=["POST"])


def _number(value: str | None) -> int:
    """A saved reply's id from the address; anything else is no saved reply (0: not found)."""
    return int(value) if value and value.isdigit() and len(value) < 10 else 0
