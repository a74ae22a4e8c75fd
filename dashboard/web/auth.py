"""Who is asking: the session cookie middleware, the logged-in officer, and the CSRF check.

Every staff route runs through `staff_route_class`, which reads the signed cookie into
`request.state.staff_session` and writes it back when needed. Pages load the account each
request, so a disabled account or a changed password ends open sessions at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from dashboard.service.access import Access
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
}


def staff_route_class(codec: SessionCodec, on_error: ErrorPage) -> type[APIRoute]:
    """Routes that load the staff session first and write its cookie back last.

    The session comes from the signed cookie (a missing, forged or idle-expired one gives a
    fresh session, with `expired` set so the log-in page can say why). The cookie is written
    when a handler replaced the session (log-in, log-out) or its idle clock needs a refresh.
    Errors raised by handlers or their dependencies become pages through `on_error`.
    """

    class StaffRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                decoded = codec.decode(request.cookies.get(COOKIE_NAME))
                valid = decoded if decoded is not None and not decoded.expired else None
                request.state.staff_session = valid or decoded or new_session()
                try:
                    response = await original(request)
                except Exception as exc:
                    page = on_error(request, exc)
                    if page is None:
                        raise
                    response = page
                current: StaffSession | None = request.state.staff_session
                if current is not valid or codec.needs_refresh(valid):
                    if current is not None and current.logged_in:
                        current = replace(current, seen=time.time())
                    response.headers.append("set-cookie", codec.set_cookie_header(current))
                for name, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(name, value)
                return response

            return handler

    return StaffRoute


def session_of(request: Request) -> StaffSession:
    session: StaffSession = request.state.staff_session
    return session


def set_session(request: Request, session: StaffSession | None) -> None:
    """Replaces the session; the middleware writes (or deletes) the cookie."""
    request.state.staff_session = session


class LoginRequired(HTTPException):
    """Redirects to the log-in page, coming back to the page asked for afterwards."""

    def __init__(self, request: Request, *, expired: bool = False) -> None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/staff/login?next={quote(target, safe='')}"
        if expired:
            location += "&expired=1"
        super().__init__(status_code=303, headers={"Location": location})
        self.location = location


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
