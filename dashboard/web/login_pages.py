"""Log-in and log-out. A new session id at log-in (a planted one is not carried over), and
after log-in only a staff page of this site is a place to go next."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from dashboard.service.errors import LoginRefused
from dashboard.web.auth import checked_form, session_of, set_session
from dashboard.web.context import StaffPages, form_text
from dashboard.web.session import StaffSession, new_session


def safe_next(target: str | None) -> str:
    """Where to go after log-in: only a staff page of this site."""
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


def add_login_routes(router: APIRouter, pages: StaffPages) -> None:
    async def login_form(request: Request) -> Response:
        session = session_of(request)
        if session.logged_in:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        expired = session.expired or request.query_params.get("expired") == "1"
        flashes = []
        if expired:
            flashes.append(
                {"kind": "warn", "text": "Sesi berakhir karena lama tidak ada kegiatan. Silakan masuk lagi."}
            )
        return pages.page(
            request,
            "login.html",
            title="Masuk",
            staff=None,
            next=safe_next(request.query_params.get("next")),
            username="",
            error=None,
            flashes=flashes,
        )

    async def login(request: Request) -> Response:
        form = await checked_form(request, pages.codec)
        username, password = form_text(form, "username"), form.get("password")
        target = safe_next(form_text(form, "next"))
        address = request.client.host if request.client else "unknown"
        try:
            access = await pages.backoffice.authenticate(
                username, password if isinstance(password, str) else "", address
            )
        except LoginRefused as refused:
            return pages.page(
                request,
                "login.html",
                title="Masuk",
                staff=None,
                next=target,
                username=username,
                error=refused.message,
                status_code=429 if refused.locked_until else 401,
            )
        set_session(
            request,
            StaffSession(sid=new_session().sid, uid=access.account_id, epoch=access.epoch),
        )
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        await checked_form(request, pages.codec)
        set_session(request, None)
        return RedirectResponse("/staff/login", status_code=303)

    router.add_api_route("/login", login_form, methods=["GET"])
    router.add_api_route("/login", login, methods=["POST"])
    router.add_api_route("/logout", logout, methods=["POST"])
