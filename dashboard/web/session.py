"""Staff web sessions in a signed cookie, and the CSRF tokens bound to them.

The cookie holds `{"sid", "uid", "epoch", "seen"}` as base64url JSON followed by an HMAC-SHA256
signature under a key derived from SECRET_KEY; nothing personal is in it. `sid` is random per
session and renewed at log-in (no session fixation); `seen` is refreshed as the officer works
and a session idle longer than STAFF_IDLE_MINUTES is over. `epoch` is the account's session
epoch at log-in, so a disabled account or a changed password ends every open session.

Every POST carries `csrf_token`, an HMAC of the session id: a page of another site cannot know
it, and it changes with every log-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

COOKIE_NAME = "bpu_staff"
# Refresh `seen` at most this often, so a page load does not always rewrite the cookie.
_REFRESH_SECONDS = 60


@dataclass(frozen=True)
class StaffSession:
    sid: str
    uid: int | None = None
    epoch: int = 0
    seen: float = field(default_factory=time.time)
    expired: bool = False
    """True when the cookie held a log-in that ran out of idle time (the page says so)."""

    @property
    def logged_in(self) -> bool:
        return self.uid is not None and not self.expired


def new_session() -> StaffSession:
    return StaffSession(sid=secrets.token_urlsafe(24))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs and checks session cookies and CSRF tokens with keys derived from SECRET_KEY.

    SECRET_KEY may hold several secrets, comma-separated, newest first: the newest signs, any
    of them verifies, so a new secret put in front logs nobody out (a session is signed again
    with it at its next refresh) and the old one can go after STAFF_IDLE_MINUTES.
    """

    def __init__(self, secret_key: str, *, idle_minutes: int, secure: bool) -> None:
        roots = [part.strip().encode() for part in secret_key.split(",") if part.strip()] or [b""]
        self._cookie_keys = [hmac.new(r, b"bpu staff session v1", hashlib.sha256).digest() for r in roots]
        self._csrf_keys = [hmac.new(r, b"bpu staff csrf v1", hashlib.sha256).digest() for r in roots]
        self.idle_seconds = idle_minutes * 60
        self.secure = secure

    def encode(self, session: StaffSession) -> str:
        body = {"sid": session.sid, "uid": session.uid, "epoch": session.epoch, "seen": int(session.seen)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload, self._cookie_keys[0])}"

    def decode(self, cookie: str | None, now: float | None = None) -> StaffSession | None:
        """The session in a cookie, or None when it is missing, forged or malformed."""
        if not cookie or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not any(hmac.compare_digest(signature, self._sign(payload, key)) for key in self._cookie_keys):
            return None
        try:
            body: dict[str, Any] = json.loads(_unb64(payload))
            session = StaffSession(
                sid=str(body["sid"]),
                uid=None if body.get("uid") is None else int(body["uid"]),
                epoch=int(body.get("epoch", 0)),
                seen=float(body["seen"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        if session.uid is not None and now - session.seen > self.idle_seconds:
            return replace(new_session(), expired=True)
        return session

    def needs_refresh(self, session: StaffSession | None, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return session is not None and session.logged_in and now - session.seen >= _REFRESH_SECONDS

    def csrf_token(self, session: StaffSession, key: bytes | None = None) -> str:
        return hmac.new(key or self._csrf_keys[0], session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: StaffSession | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return any(hmac.compare_digest(token, self.csrf_token(session, key)) for key in self._csrf_keys)

    def set_cookie_header(self, session: StaffSession | None) -> str:
        """The Set-Cookie value that stores `session`, or deletes the cookie when None."""
        attrs = ["Path=/staff", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            attrs.append("Secure")
        if session is None:
            return "; ".join([f"{COOKIE_NAME}=", "Max-Age=0", *attrs])
        # The browser keeps it a little longer than the idle limit; the signature's `seen` decides.
        cookie = f"{COOKIE_NAME}={self.encode(session)}"
        return "; ".join([cookie, f"Max-Age={self.idle_seconds + 60}", *attrs])

    @staticmethod
    def _sign(payload: str, key: bytes) -> str:
        return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
