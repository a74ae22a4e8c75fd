"""The staff pages: log-in, the queue, a submission with its actions, exports.

A thin face over `Backoffice`: every handler reads the form or query, calls one service method
with the officer's `Access`, and renders a template. Branch isolation, permissions, the status
graph and auditing all live in the service; a `NotFound` from it is this face's 404 page, the
same for another branch's submission as for one that does not exist.

POST handlers answer with a redirect to the page that shows the result (so a reload does not
repeat the action), except when the service refused: then the page is shown again with the
reason, what was typed kept, and, when someone else changed the submission first, its new state.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from dashboard.service import Backoffice
from dashboard.service.access import Access
from dashboard.service.cases import SubmissionDetail
from dashboard.service.errors import (
    Forbidden,
    InvalidInput,
    LoginRefused,
    NotFound,
    Refused,
    ServiceError,
    Stale,
)
from dashboard.service.queue import WIB
from dashboard.service.texts import call_outcomes, flag_label, rejection_reasons
from dashboard.service.workflow import FINAL, NOTIFIED
from dashboard.web import filters as queue_filters
from dashboard.web.auth import (
    CsrfRefused,
    LoginRequired,
    StaffUser,
    checked_form,
    session_of,
    set_session,
    staff_route_class,
)
from dashboard.web.labels import STATUS_LABELS
from dashboard.web.render import STATIC, render
from dashboard.web.session import SessionCodec, StaffSession, new_session
from handlers.branches import branch_map
from messages.program_data import occupations
from storage.submissions import ALL_STATUSES

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# POST /staff/submissions/{reference}/<path> → the action it performs.
ACTIONS = {"assign": "assign", "reassign": "reassign", "calls": "call", "status": "status"}
# Fields of the action forms kept when a refused form is shown again.
TYPED_FIELDS = ("status", "kpj", "reason", "note", "outcome", "callback_at")
# What a finished action says on the page it leads to (`?ok=<key>`).
DONE = {
    "assign": "Pendaftaran ini sekarang Bapak/Ibu tangani.",
    "reassign": "Pendaftaran sudah dialihkan.",
    "call": "Panggilan sudah dicatat.",
    "status": "Status sudah diubah.",
    "status_notified": "Status sudah diubah. Pesan untuk peserta sudah masuk antrean kirim.",
    "callback_assign": "Permintaan telepon ini sekarang Bapak/Ibu tangani.",
    "callback_close": "Panggilan sudah dicatat dan permintaan ditutup.",
}


def actor_label(actor: str) -> str:
    """Who made a change, for the history: "staff:siti" → "siti", "bot:telegram" → "peserta
    (lewat Telegram)", "cli:ops" → "ops (baris perintah)"; anything else as it is."""
    kind, _, name = actor.partition(":")
    if not name:
        return actor
    if kind == "bot":
        return f"peserta (lewat {queue_filters.CHANNELS.get(name, name)})"
    return f"{name} (baris perintah)" if kind == "cli" else name


def safe_next(target: str | None) -> str:
    """Where to go after log-in: only a staff page of this site."""
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


def _optional_int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_local_time(value: str) -> datetime | None:
    """An <input type="datetime-local"> value, read as the branch's local time (WIB)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=WIB)
    except ValueError as exc:
        raise InvalidInput("callback_at", "Waktu menelepon lagi tidak terbaca.") from exc


class StaffPages:
    def __init__(self, backoffice: Backoffice, codec: SessionCodec) -> None:
        self.backoffice = backoffice
        self.codec = codec

    # --- who is asking ------------------------------------------------------------------------

    async def user(self, request: Request) -> StaffUser:
        """The logged-in officer, or a redirect to the log-in page."""
        session = session_of(request)
        if not session.logged_in or session.uid is None:
            raise LoginRequired(request, expired=session.expired)
        access = await self.backoffice.session_access(session.uid)
        if access is None or access.epoch != session.epoch:
            # Disabled, or the password changed since this session began.
            set_session(request, new_session())
            raise LoginRequired(request)
        branch = branch_map().branches.get(access.branch_code or "")
        staff = StaffUser(id=session.uid, branch_name=branch.name if branch else None, account=access)
        request.state.staff_user = staff  # for an error page drawn later in this request
        return staff

    # --- rendering ----------------------------------------------------------------------------

    def page(
        self,
        request: Request,
        template: str,
        *,
        title: str,
        staff: StaffUser | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        ok = request.query_params.get("ok")
        flashes = [{"kind": "ok", "text": DONE[ok]}] if ok in DONE else []
        html = render(
            template,
            title=title,
            staff=staff,
            csrf_token=self.codec.csrf_token(session_of(request)),
            flashes=flashes + context.pop("flashes", []),
            status_labels=STATUS_LABELS,
            channels=queue_filters.CHANNELS,
            actor_label=actor_label,
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    def error_page(self, request: Request, exc: Exception) -> Response | None:
        """Errors as pages; None lets anything else propagate as a server error."""
        if isinstance(exc, LoginRequired):
            return RedirectResponse(exc.location, status_code=303)
        if isinstance(exc, CsrfRefused):
            title, status = "Formulir kedaluwarsa", 403
            message = (
                "Formulir ini tidak dapat diterima karena sesinya sudah berganti atau kedaluwarsa. "
                "Buka kembali halamannya, lalu ulangi."
            )
        elif isinstance(exc, NotFound):
            title, status, message = "Tidak ditemukan", 404, exc.message
        elif isinstance(exc, Forbidden):
            title, status, message = "Tidak berhak", 403, exc.message
        elif isinstance(exc, ServiceError):
            title, status, message = "Tidak dapat diproses", 422, exc.message
        else:
            return None
        staff = getattr(request.state, "staff_user", None)
        return self.page(request, "error.html", title=title, staff=staff, message=message, status_code=status)

    # --- log-in -------------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        session = session_of(request)
        if session.logged_in:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        expired = session.expired or request.query_params.get("expired") == "1"
        flashes = []
        if expired:
            flashes.append(
                {"kind": "warn", "text": "Sesi berakhir karena lama tidak ada kegiatan. Silakan masuk lagi."}
            )
        return self.page(
            request,
            "login.html",
            title="Masuk",
            staff=None,
            next=safe_next(request.query_params.get("next")),
            username="",
            error=None,
            flashes=flashes,
        )

    async def login(self, request: Request) -> Response:
        form = await checked_form(request, self.codec)
        username, password = _text(form, "username"), form.get("password")
        target = safe_next(_text(form, "next"))
        address = request.client.host if request.client else "unknown"
        try:
            access = await self.backoffice.authenticate(
                username, password if isinstance(password, str) else "", address
            )
        except LoginRefused as refused:
            return self.page(
                request,
                "login.html",
                title="Masuk",
                staff=None,
                next=target,
                username=username,
                error=refused.message,
                status_code=429 if refused.locked_until else 401,
            )
        # A new session id at log-in: a session id planted before cannot be carried over.
        set_session(
            request,
            StaffSession(sid=new_session().sid, uid=access.account_id, epoch=access.epoch),
        )
        return RedirectResponse(target, status_code=303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request, self.codec)
        set_session(request, None)
        return RedirectResponse("/staff/login", status_code=303)

    # --- the queue ----------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        staff = await self.user(request)
        if not staff.works_the_queue:
            return RedirectResponse("/staff/reports", status_code=303)
        params = dict(request.query_params)
        parsed = queue_filters.parse(params)
        filters = parsed.filters
        cursor = params.get("setelah") or None
        flashes = [{"kind": "warn", "text": text} for text in parsed.problems]
        if filters.status and filters.status not in ALL_STATUSES:
            unknown = "Status yang dipilih tidak dikenal; semua status ditampilkan."
            flashes.append({"kind": "warn", "text": unknown})
            filters = replace(filters, status=None)
        page = await self.backoffice.queue(staff.account, filters, cursor=cursor)
        callbacks = await self.backoffice.callbacks(staff.account)
        regencies = queue_filters.regencies_of(staff.branch_for(filters.branch))
        options = {
            "branches": queue_filters.branch_options(),
            "regencies": regencies,
            "districts": queue_filters.districts_of(regencies),
            "occupations": queue_filters.occupation_options(),
            "channels": queue_filters.CHANNELS,
            "flags": queue_filters.flag_options(),
            "assigned": queue_filters.ASSIGNED,
        }
        qs = queue_filters.query_string
        return self.page(
            request,
            "queue.html",
            title="Antrean",
            staff=staff,
            nav="queue",
            flashes=flashes,
            filters=filters,
            page=page,
            callbacks=callbacks,
            cursor=cursor,
            total=sum(page.counts.values()),
            statuses=list(STATUS_LABELS.items()),
            final_statuses=FINAL,
            tab_links={"": qs(filters, status=None), **{c: qs(filters, status=c) for c in ALL_STATUSES}},
            next_page_query=qs(filters, setelah=page.next_cursor),
            first_page_query=qs(filters),
            export_query=qs(filters),
            show_more=queue_filters.active(filters) and not (filters.search and len(params) <= 2),
            options=options,
            flag_labels={code: flag_label(code) for code in queue_filters.FILTER_FLAGS},
            occupation_labels={o.code: o.label for o in occupations()},
        )

    async def export(self, request: Request) -> Response:
        staff = await self.user(request)
        fmt = request.query_params.get("format", "csv")
        if fmt not in EXPORT_TYPES:
            raise InvalidInput("format", "Format unduhan harus CSV atau XLSX.")
        filters = queue_filters.parse(dict(request.query_params)).filters
        body = await self.backoffice.export(staff.account, filters, fmt)
        scope = re.sub(r"[^A-Za-z0-9_-]", "", staff.branch_for(filters.branch) or "") or "semua"
        stamp = datetime.now(WIB).strftime("%Y%m%d-%H%M")
        filename = f"antrean-{scope}-{stamp}.{fmt}"
        return Response(
            body,
            media_type=EXPORT_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    # --- one submission -----------------------------------------------------------------------

    async def detail(self, request: Request, reference: str) -> Response:
        staff = await self.user(request)
        submission = await self.backoffice.detail(staff.account, reference)
        return await self._detail_page(request, staff, submission)

    async def _detail_page(
        self,
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
            officers = await self.backoffice.officers(staff.account, submission.branch_code)
        return self.page(
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

    async def reveal_nik(self, request: Request, reference: str) -> Response:
        staff = await self.user(request)
        await checked_form(request, self.codec)
        nik = await self.backoffice.reveal_nik(staff.account, reference)
        submission = await self.backoffice.detail(staff.account, reference)
        return await self._detail_page(request, staff, submission, revealed_nik=nik)

    async def act(self, request: Request, reference: str, action: str) -> Response:
        """Saya tangani, reassign, a call, a status change: one POST each."""
        staff = await self.user(request)
        form = await checked_form(request, self.codec)
        access: Access = staff.account
        version = _optional_int(form.get("version"))
        typed = {key: _text(form, key) for key in TYPED_FIELDS}
        done = action
        try:
            if action == "assign":
                await self.backoffice.assign(access, reference, version)
            elif action == "reassign":
                await self.backoffice.reassign(access, reference, _text(form, "username"), version)
            elif action == "call":
                await self.backoffice.record_call(
                    access,
                    reference,
                    typed["outcome"],
                    callback_at=parse_local_time(typed["callback_at"]),
                    note=typed["note"] or None,
                )
            else:
                changed = await self.backoffice.change_status(
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
            return await self._detail_page(
                request, staff, stale.current, status_code=409, stale=stale.message
            )
        except (Refused, InvalidInput) as refused:
            current = await self.backoffice.detail(access, reference)
            kept = {**typed, "call_note": typed["note"]} if action == "call" else typed
            return await self._detail_page(
                request,
                staff,
                current,
                status_code=409 if isinstance(refused, Refused) else 422,
                error=refused.message,
                form=kept,
            )
        url = f"/staff/submissions/{quote(reference)}?ok={done}"
        return RedirectResponse(url, status_code=303)

    # --- static assets ------------------------------------------------------------------------

    async def static(self, name: str) -> Response:
        """A file of dashboard/static (no sub-folders); long-cached, its URL carries a hash."""
        files = {path.name: path for path in STATIC.iterdir() if path.is_file()}
        if name not in files:
            raise NotFound("Berkas tidak ditemukan.")
        kinds = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".js": "text/javascript"}
        path = files[name]
        return Response(
            path.read_bytes(),
            media_type=kinds.get(path.suffix, "application/octet-stream"),
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )


def _action_handler(pages: StaffPages, action: str) -> Any:
    async def handler(request: Request, reference: str) -> Response:
        return await pages.act(request, reference, action)

    handler.__name__ = f"submission_{action}"
    return handler


def pages_router(backoffice: Backoffice, settings: Any, outreach: Any = None) -> APIRouter:
    """The `/staff` pages over `backoffice` (and `outreach`: sessions and broadcasts);
    `settings` gives SECRET_KEY and the cookie rules."""
    codec = SessionCodec(
        settings.secret_key, idle_minutes=settings.staff_idle_minutes, secure=settings.cookie_secure
    )
    pages = StaffPages(backoffice, codec)
    router = APIRouter(
        prefix="/staff", route_class=staff_route_class(codec, pages.error_page), include_in_schema=False
    )
    router.add_api_route("/login", pages.login_form, methods=["GET"])
    router.add_api_route("/login", pages.login, methods=["POST"])
    router.add_api_route("/logout", pages.logout, methods=["POST"])
    router.add_api_route("", pages.queue, methods=["GET"])
    router.add_api_route("/export", pages.export, methods=["GET"])
    router.add_api_route("/submissions/{reference}", pages.detail, methods=["GET"])
    router.add_api_route("/submissions/{reference}/nik", pages.reveal_nik, methods=["POST"])
    for path, action in ACTIONS.items():
        handler = _action_handler(pages, action)
        router.add_api_route(f"/submissions/{{reference}}/{path}", handler, methods=["POST"])
    # Assets: outside the session handling (no cookie, no per-page headers).
    assets = APIRouter(prefix="/static")
    assets.add_api_route("/{name}", pages.static, methods=["GET"])
    router.include_router(assets)
    from dashboard.web.insight import add_insight_routes

    add_insight_routes(router, pages)
    from dashboard.web.callbacks import add_callback_routes

    add_callback_routes(router, pages)
    if outreach is not None:
        from dashboard.web.outreach_routes import add_outreach_routes

        add_outreach_routes(router, pages, outreach)
    return router
