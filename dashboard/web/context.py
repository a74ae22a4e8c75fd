"""What every staff page module shares: `StaffPages`, the officer behind a request, rendering with
the common context, and errors drawn as pages.

The page modules (`login_pages`, `queue_pages`, `submission_pages`, `callbacks`, `insight`,
`sessions_pages`, `broadcast_pages`) each add their routes given a `StaffPages`; `router`
assembles them. None of them imports another page module or the assembly.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from dashboard.service import Backoffice
from dashboard.service.errors import Forbidden, NotFound, ServiceError
from dashboard.web.auth import CsrfRefused, LoginRequired, StaffUser, session_of, set_session
from dashboard.web.labels import STATUS_LABELS
from dashboard.web.render import render
from dashboard.web.session import SessionCodec, new_session
from handlers.branches import branch_map
from handlers.channels import Catalogue

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


def form_text(form: FormData, name: str) -> str:
    """A form field's text, trimmed ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


class StaffPages:
    """The back office, the session cookie codec and the known channels, for every page."""

    def __init__(self, backoffice: Backoffice, codec: SessionCodec, channels: Catalogue) -> None:
        self.backoffice = backoffice
        self.codec = codec
        self.channels = channels

    def actor_label(self, actor: str) -> str:
        """Who made a change, for the history: "staff:siti" → "siti", "bot:<channel>" → "peserta
        (lewat <the channel's name>)", "cli:ops" → "ops (baris perintah)"; anything else as it is."""
        kind, _, name = actor.partition(":")
        if not name:
            return actor
        if kind == "bot":
            return f"peserta (lewat {self.channels.display(name)})"
        return f"{name} (baris perintah)" if kind == "cli" else name

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
        flashes += getattr(request.state, "staff_flashes", [])  # text an ended session interrupted
        html = render(
            template,
            title=title,
            staff=staff,
            csrf_token=self.codec.csrf_token(session_of(request)),
            flashes=flashes + context.pop("flashes", []),
            status_labels=STATUS_LABELS,
            channels=self.channels,
            actor_label=self.actor_label,
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
