"""The broadcast pages: the list and the compose form (count and per-channel preview, "kirim uji"
to the author's own chat, linked once by a one-time code the officer sends to the bot, send now or
at a time), and one broadcast's progress with pause, resume and cancel. A thin face over
`Outreach`; another branch's broadcast is the 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from dashboard.service.broadcasts import STAGES, TEMPLATE, Audience, previews
from dashboard.service.errors import InvalidInput, NotFound
from dashboard.service.outreach_office import LinkCode, Outreach, TestChat
from dashboard.web.auth import checked_form
from dashboard.web.context import StaffPages, form_text
from dashboard.web.filters import districts_of, regencies_of
from dashboard.web.labels import step_label
from handlers.channels import Catalogue
from handlers.enrol.fields import FORM
from handlers.localtime import WIB
from messages.render import labels

TYPED = (
    "text",
    "regency",
    "district",
    "occupation_group",
    "stage",
    "step",
    "session",
    "session_role",
    "send_at",
)
CONTROLS = ("pause", "resume", "cancel")
NO_TEXT = "Isi pesan wajib diisi."


@dataclass(frozen=True)
class Confirm:
    """ "Kirim siaran" asks first: to how many people, and when (None: now). `changed`: the
    count differs from the one the officer confirmed, so it is asked again."""

    total: int
    send_at: datetime | None
    changed: bool = False


def audience_of(form: dict[str, Any], channels: Catalogue) -> Audience:
    """The audience as chosen in the form; no channel ticked is every channel that receives
    broadcasts."""
    chosen = [info.name for info in channels.broadcasting() if form.get(f"channel_{info.name}")]
    raw = {
        "regencies": [form["regency"]] if form.get("regency") else [],
        "districts": [form["district"]] if form.get("district") else [],
        "occupation_groups": [form["occupation_group"]] if form.get("occupation_group") else [],
        "stage": form.get("stage") or None,
        "step": (form.get("step") or None) if form.get("stage") == "started" else None,
        "session": (form.get("session") or "").upper() or None,
        "session_role": form.get("session_role") or "reserved",
        "channels": chosen,
    }
    return Audience.from_dict(raw)


def send_time(value: str) -> datetime | None:
    """The form's datetime-local, in the branch's local time (WIB); empty: now."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=WIB)
    except ValueError:
        raise InvalidInput("send_at", "Waktu kirim tidak terbaca.") from None


def number(broadcast_id: str) -> int:
    """A broadcast id from the address; anything else is not found (like a missing one)."""
    if not broadcast_id.isdigit() or len(broadcast_id) > 12:
        raise NotFound("Siaran tidak ditemukan.")
    return int(broadcast_id)


def _typed(form: FormData, channels: Catalogue) -> dict[str, Any]:
    typed: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in TYPED}
    for info in channels.broadcasting():
        typed[f"channel_{info.name}"] = bool(form.get(f"channel_{info.name}"))
    return typed


def add_broadcast_routes(router: APIRouter, pages: StaffPages, outreach: Outreach) -> None:
    channels = pages.channels
    reaching = channels.broadcasting()

    async def compose_page(
        request: Request,
        *,
        typed: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        counts: dict[str, int] | None = None,
        tested: TestChat | None = None,
        link: LinkCode | None = None,
        unlinked: bool = False,
        confirm: Confirm | None = None,
    ) -> HTMLResponse:
        staff = await pages.user(request)
        test_chat = await outreach.test_chat(staff.account)
        found = await outreach.list_broadcasts(staff.account)
        regencies = regencies_of(None if staff.account.all_branches else staff.account.branch_code)
        form = typed or {f"channel_{info.name}": True for info in reaching} | {"session_role": "reserved"}
        text = str(form.get("text") or "")
        shown = previews(text, channels) if counts is not None and text else None
        groups: dict[str, str] = labels()["groups"]
        return pages.page(
            request,
            "broadcasts.html",
            title="Siaran",
            staff=staff,
            nav="broadcasts",
            broadcasts=found,
            form=form,
            errors=errors or {},
            counts=counts,
            previews=shown,
            template_preview=TEMPLATE,
            reaching=reaching,
            linkable=[info.display_name for info in channels.linkable()],
            tested=tested,
            test_chat=test_chat,
            link=link,
            unlinked=unlinked,
            confirm=confirm,
            options={
                "regencies": regencies,
                "districts": districts_of(regencies),
                "groups": [(g, groups.get(g, g).capitalize()) for g in ("transport", "general")],
                "stages": STAGES,
                "steps": [(s.name, step_label(s.name)) for s in FORM.steps],
            },
            status_code=422 if errors else 200,
        )

    async def broadcasts_page(request: Request) -> Response:
        return await compose_page(request)

    async def compose(request: Request) -> Response:
        """One form, three buttons: count and preview, "kirim uji", send."""
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        typed = _typed(form, channels)
        action = str(form.get("aksi") or "hitung")
        try:
            audience = audience_of(typed, channels)
            if action in ("kirim", "kirim_pasti"):
                when = send_time(typed["send_at"])
                if not typed["text"]:
                    raise InvalidInput("text", NO_TEXT)
                counts = await outreach.count(staff.account, audience)
                confirmed = form_text(form, "jumlah")
                if action == "kirim" or counts["total"] == 0 or confirmed != str(counts["total"]):
                    # Asked first, with the count; to nobody it cannot be sent at all.
                    changed = action == "kirim_pasti" and counts["total"] > 0
                    return await compose_page(
                        request, typed=typed, counts=counts, confirm=Confirm(counts["total"], when, changed)
                    )
                created = await outreach.create_broadcast(
                    staff.account, text=typed["text"], audience=audience, send_at=when
                )
                return RedirectResponse(f"/staff/broadcasts/{created.id}?ok=broadcast", status_code=303)
            tested = await outreach.send_test(staff.account, typed["text"]) if action == "uji" else None
            counts = await outreach.count(staff.account, audience)
        except InvalidInput as invalid:
            field = invalid.field.removeprefix("audience.")
            return await compose_page(request, typed=typed, errors={field: invalid.message})
        return await compose_page(request, typed=typed, counts=counts, tested=tested)

    async def test_chat(request: Request) -> Response:
        """The officer's own test chat: a one-time code to link it ("kode"), or unlink it ("lepas")."""
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        if str(form.get("aksi") or "") == "lepas":
            await outreach.unlink_test_chat(staff.account)
            return await compose_page(request, unlinked=True)
        return await compose_page(request, link=await outreach.link_code(staff.account))

    async def broadcast_page(request: Request, broadcast_id: str) -> Response:
        staff = await pages.user(request)
        found = await outreach.broadcast(staff.account, number(broadcast_id))
        return pages.page(
            request,
            "broadcast.html",
            title=f"Siaran {found.broadcast.id}",
            staff=staff,
            nav="broadcasts",
            found=found,
            b=found.broadcast,
            p=found.progress,
            done=request.query_params.get("ok", ""),
        )

    def control(action: str) -> Any:
        async def handler(request: Request, broadcast_id: str) -> Response:
            staff = await pages.user(request)
            await checked_form(request, pages.codec)
            found = await outreach.control(staff.account, number(broadcast_id), action)
            return RedirectResponse(f"/staff/broadcasts/{found.broadcast.id}?ok={action}", status_code=303)

        handler.__name__ = f"broadcast_{action}"
        return handler

    router.add_api_route("/broadcasts", broadcasts_page, methods=["GET"])
    router.add_api_route("/broadcasts", compose, methods=["POST"])
    router.add_api_route("/broadcasts/test-chat", test_chat, methods=["POST"])
    router.add_api_route("/broadcasts/{broadcast_id}", broadcast_page, methods=["GET"])
    for action in CONTROLS:
        router.add_api_route(f"/broadcasts/{{broadcast_id}}/{action}", control(action), methods=["POST"])
