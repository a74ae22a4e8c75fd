"""The staff session cookie and the CSRF tokens bound to it.

The cookie holds one random token (`sid`), signed with an HMAC-SHA256 under a key derived from
SECRET_KEY so a forged one is dropped before any database read; nothing personal is in it.
Whether that token is logged in, as whom, and until when is the server's business
(`dashboard.service.staff_logins`): ending a session there ends it for every copy of the cookie.
A new token is issued at log-in (no session fixation).

Every POST carries `csrf_token`, an HMAC of the token: a page of another site cannot know it,
and it changes with every log-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from dashboard.service.staff_logins import new_token

COOKIE_NAME = "bpu_staff"
COOKIE_DAYS = 30
"""How long the browser keeps the cookie: past any session's end, so the server can still say
why the session ended (the log-in page) instead of meeting a browser that forgot it."""


@dataclass(frozen=True)
class StaffSession:
    sid: str
    uid: int | None = None
    epoch: int = 0
    ended: str | None = None
    """Why this browser's log-in ended (dashboard.service.staff_logins.REASONS), if it did."""

    @property
    def logged_in(self) -> bool:
        return self.uid is not None and self.ended is None

    @property
    def expired(self) -> bool:
        """The browser's log-in is over (the log-in page says why)."""
        return self.ended is not None


def new_session() -> StaffSession:
    return StaffSession(sid=new_token())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SessionCodec:
    """Signs and checks session cookies and CSRF tokens with keys derived from SECRET_KEY.

    SECRET_KEY may hold several secrets, comma-separated, newest first: the newest signs, any
    of them verifies, so a new secret put in front logs nobody out.
    """

    def __init__(self, secret_key: str, *, idle_minutes: int = 0, secure: bool) -> None:
        roots = [part.strip().encode() for part in secret_key.split(",") if part.strip()] or [b""]
        self._cookie_keys = [hmac.new(r, b"bpu staff session v2", hashlib.sha256).digest() for r in roots]
        self._csrf_keys = [hmac.new(r, b"bpu staff csrf v1", hashlib.sha256).digest() for r in roots]
        self._grant_keys = [hmac.new(r, b"bpu staff grant v1", hashlib.sha256).digest() for r in roots]
        self.secure = secure

    def encode(self, session: StaffSession) -> str:
        return f"{session.sid}.{self._sign(session.sid, self._cookie_keys[0])}"

    def decode(self, cookie: str | None) -> StaffSession | None:
        """The session token a cookie carries (not yet looked up), or None when missing or forged."""
        if not cookie or "." not in cookie:
            return None
        sid, signature = cookie.rsplit(".", 1)
        if not sid or not any(
            hmac.compare_digest(signature, self._sign(sid, key)) for key in self._cookie_keys
        ):
            return None
        return StaffSession(sid=sid)

    def csrf_token(self, session: StaffSession, key: bytes | None = None) -> str:
        return hmac.new(key or self._csrf_keys[0], session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: StaffSession | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return any(hmac.compare_digest(token, self.csrf_token(session, key)) for key in self._csrf_keys)

    def grant(self, session: StaffSession, subject: str, until: int) -> str:
        """A token for the page after an audited reveal (POST-redirect-GET): it lets this
        browser's session see `subject` again until `until` (Unix seconds) without a new reveal."""
        return f"{until}.{self._grant_mac(session, subject, until, self._grant_keys[0])}"

    def granted(self, session: StaffSession, subject: str, token: str | None, now: int) -> bool:
        until, _, mac = (token or "").partition(".")
        if not until.isdigit() or int(until) < now:
            return False
        return any(
            hmac.compare_digest(mac, self._grant_mac(session, subject, int(until), key))
            for key in self._grant_keys
        )

    @staticmethod
    def _grant_mac(session: StaffSession, subject: str, until: int, key: bytes) -> str:
        return _b64(hmac.new(key, f"{session.sid}|{subject}|{until}".encode(), hashlib.sha256).digest())

    def set_cookie_header(self, session: StaffSession | None) -> str:
        """The Set-Cookie value that stores `session`, or deletes the cookie when None."""
        attrs = ["Path=/staff", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            attrs.append("Secure")
        if session is None:
            return "; ".join([f"{COOKIE_NAME}=", "Max-Age=0", *attrs])
        return "; ".join([f"{COOKIE_NAME}={self.encode(session)}", f"Max-Age={COOKIE_DAYS * 86400}", *attrs])

    @staticmethod
    def _sign(payload: str, key: bytes) -> str:
        return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
