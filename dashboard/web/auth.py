"""Who is asking: the session cookie middleware, the logged-in officer, and the CSRF check.

Every staff route runs through `staff_route_class`, which reads the signed cookie, looks its
token up among the server's log-ins (`StaffLogins`: ended, idle and too old ones are over) into
`request.state.staff_session`, and writes the cookie back when it changed. A form posted after
the session ended leads to the log-in page and back to the page it came from, its text kept
and shown again after the log-in (never replayed: that would let another site post through it).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from dashboard.service.access import Access
from dashboard.service.staff_logins import StaffLogins
from dashboard.service.texts import role_label
from dashboard.web.session import COOKIE_NAME, SessionCodec, StaffSession, new_session

ErrorPage = Callable[[Request, Exception], Response | None]
"""Turns an exception into a page, or None to let it propagate."""

# Sent with every staff page: nothing from elsewhere, no script at all, no framing.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:;"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}
NOT_KEPT = frozenset({"csrf_token", "password", "version", "expected_version", "next", "everywhere"})
"""Form fields never kept when a session's end interrupts a form."""


def staff_route_class(codec: SessionCodec, logins: StaffLogins, on_error: ErrorPage) -> type[APIRoute]:
    """Routes that load the staff session first and write its cookie back last.

    A missing or forged cookie gives a fresh anonymous session; a known token gives its log-in
    (live, or ended with the reason). The cookie is written when a handler replaced the
    session (log-in, log-out) or the browser had none. Errors raised by handlers or their
    dependencies become pages through `on_error`.
    """

    class StaffRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                decoded = codec.decode(request.cookies.get(COOKIE_NAME))
                session = decoded or new_session()
                if decoded is not None and (state := await logins.look_up(decoded.sid)) is not None:
                    session = StaffSession(decoded.sid, state.account_id, state.epoch, state.ended)
                    if state.kept:
                        request.state.staff_flashes = [_kept_flash(state.kept)]
                request.state.staff_session = session
                try:
                    response = await original(request)
                except Exception as exc:
                    if isinstance(exc, LoginRequired) and request.method == "POST" and session.ended:
                        await logins.keep(session.sid, await _typed(request))
                    page = on_error(request, exc)
                    if page is None:
                        raise
                    response = page
                current: StaffSession | None = request.state.staff_session
                if current is not session or decoded is None:
                    response.headers.append("set-cookie", codec.set_cookie_header(current))
                for name, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(name, value)
                return response

            return handler

    return StaffRoute


async def _typed(request: Request) -> dict[str, str]:
    """The text fields of a posted form, but those never kept (NOT_KEPT)."""
    try:
        form = await request.form()
    except Exception:  # not a form: nothing to keep
        return {}
    return {name: value for name, value in form.items() if isinstance(value, str) and name not in NOT_KEPT}


def _kept_flash(kept: dict[str, str]) -> dict[str, str]:
    text = " · ".join(value for value in kept.values())
    return {
        "kind": "warn",
        "text": "Sesi Bapak/Ibu sempat berakhir sebelum isian ini tersimpan. Isian yang belum tersimpan: "
        f"{text} — salin lalu kirim lagi bila masih diperlukan.",
    }


def session_of(request: Request) -> StaffSession:
    session: StaffSession = request.state.staff_session
    return session


def set_session(request: Request, session: StaffSession | None) -> None:
    """Replaces the session; the middleware writes (or deletes) the cookie."""
    request.state.staff_session = session


class LoginRequired(HTTPException):
    """Redirects to the log-in page, which says why and comes back afterwards: to the page
    asked for, or for a form posted after the session ended, to the page the form was on."""

    def __init__(self, request: Request, *, expired: bool = False) -> None:
        session: StaffSession | None = getattr(request.state, "staff_session", None)
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            target = _referring_page(request)
        location = f"/staff/login?next={quote(target, safe='')}"
        reason = session.ended if session is not None and session.ended else ("idle" if expired else None)
        if reason:
            location += f"&reason={reason}"
        super().__init__(status_code=303, headers={"Location": location})
        self.location = location


def _referring_page(request: Request) -> str:
    """The staff page of this site a form was posted from (its Referer), else the queue."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/staff"
    if referer.path.startswith("/staff") and not referer.path.startswith("/staff/login"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/staff"


@dataclass(frozen=True)
class StaffUser:
    """The logged-in officer as the pages see it; permissions are the service's `Access`."""

    id: int
    branch_name: str | None
    account: Access
    """Passed back to the service for every call."""

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def role_label(self) -> str:
        return role_label(self.account.role)

    @property
    def can_see_reports(self) -> bool:
        return self.account.may_report

    @property
    def can_see_audit(self) -> bool:
        return self.account.may_audit

    @property
    def can_reassign(self) -> bool:
        return self.account.may_reassign

    @property
    def works_the_queue(self) -> bool:
        return self.account.sees_people

    def branch_for(self, chosen: str | None) -> str | None:
        """The branch a page is about: the admin's choice (None: all), or the officer's own."""
        return chosen if self.account.all_branches else self.account.branch_code


class CsrfRefused(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=403, detail="csrf")


async def checked_form(request: Request, codec: SessionCodec) -> FormData:
    """The POSTed form, after its `csrf_token` was checked against the session."""
    form = await request.form()
    token = form.get("csrf_token")
    if not codec.csrf_ok(session_of(request), token if isinstance(token, str) else None):
        raise CsrfRefused()
    return form
