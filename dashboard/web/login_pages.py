"""Log-in and log-out. A new session token at log-in (a planted one is not carried over), and
after log-in only a staff page of this site is a place to go next. The log-in page always says
why it appears: the session ended (and how), the officer logged out, or nobody is logged in."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from dashboard.service.errors import LoginRefused
from dashboard.service.staff_logins import StaffLogins
from dashboard.web.auth import checked_form, session_of, set_session
from dashboard.web.context import StaffPages, form_text
from dashboard.web.session import StaffSession, new_session

WHY = {
    None: ("ok", "Silakan masuk dengan akun petugas untuk membuka halaman ini."),
    "logout": ("ok", "Bapak/Ibu sudah keluar. Silakan masuk lagi bila perlu."),
    "everywhere": ("ok", "Semua sesi akun ini sudah diakhiri, di perangkat ini dan di perangkat lain."),
    "idle": ("warn", "Sesi berakhir karena lama tidak ada kegiatan. Silakan masuk lagi."),
    "lifetime": ("warn", "Sesi berakhir karena sudah terlalu lama sejak masuk. Silakan masuk lagi."),
    "password": ("warn", "Sesi berakhir karena kata sandi akun ini diganti. Masuk dengan kata sandi baru."),
    "disabled": ("warn", "Sesi berakhir karena akun ini dinonaktifkan. Hubungi admin bila ini keliru."),
}
"""What the log-in page says, by why it appears (`?reason=`, or the browser's ended session)."""
KEPT = "Isian yang belum tersimpan akan ditampilkan lagi setelah Bapak/Ibu masuk."


def safe_next(target: str | None) -> str:
    """Where to go after log-in: only a staff page of this site."""
    if (
        target
        and target.startswith("/staff")
        and not target.startswith("//")
        and "\\" not in target
        and not target.startswith("/staff/login")
    ):
        return target
    return "/staff"


def add_login_routes(router: APIRouter, pages: StaffPages, logins: StaffLogins) -> None:
    async def login_form(request: Request) -> Response:
        session = session_of(request)
        if session.logged_in:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        asked = request.query_params.get("reason")
        reason = session.ended or (asked if asked in WHY else None)
        kind, text = WHY[reason]
        flashes = [{"kind": kind, "text": text}]
        if session.ended and await logins.has_kept(session.sid):
            flashes.append({"kind": "warn", "text": KEPT})
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
        fresh = new_session()
        await logins.start(access, fresh.sid, carried_from=session_of(request).sid)
        set_session(request, StaffSession(sid=fresh.sid, uid=access.account_id, epoch=access.epoch))
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        form = await checked_form(request, pages.codec)
        session = session_of(request)
        everywhere = form_text(form, "everywhere") == "1" and session.uid is not None
        if everywhere:
            await logins.end_all(session.uid or 0, "everywhere")
        else:
            await logins.end(session.sid, "logout")
        set_session(request, new_session())
        return RedirectResponse(
            f"/staff/login?reason={'everywhere' if everywhere else 'logout'}", status_code=303
        )

    router.add_api_route("/login", login_form, methods=["GET"])
    router.add_api_route("/login", login, methods=["POST"])
    router.add_api_route("/logout", logout, methods=["POST"])
