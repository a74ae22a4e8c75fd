"""The API's sessions and broadcasts: `POST/GET /api/v1/sessions`, `GET /api/v1/sessions/{code}`
(with its links and funnel), `POST/GET /api/v1/broadcasts`, `GET /api/v1/broadcasts/{id}` (the
progress), and pause / resume / cancel. Same roles as the pages (staff, supervisors and admins
create; a mitra reads its regencies' sessions, small counts suppressed); another branch's session
or broadcast is 404 exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar, cast

from fastapi import APIRouter
from pydantic import BaseModel, Field, create_model

from dashboard.api.common import PREFIX, Caller, api_error, service_call
from dashboard.service.broadcasts import Audience
from dashboard.service.errors import InvalidInput, NotFound
from dashboard.service.outreach_office import Outreach, SessionView
from dashboard.service.sessions import Invalid, SessionSpec, Sponsor
from handlers.channels import Catalogue
from storage.outreach_models import Broadcast, SocialSession

F = TypeVar("F", bound=Callable[..., Any])


class SponsorIn(BaseModel):
    name: str = Field(description='Who pays JKK + JKM, e.g. "Pemerintah Kota Madiun".')
    months: int = Field(description="For how many months (1-24).")
    quota: int = Field(description="For how many people.")


class SessionIn(BaseModel):
    title: str
    starts_at: datetime = Field(description="In the regency's local time (WIB/WITA/WIT) if no offset.")
    ends_at: datetime
    place: str | None = Field(default=None, description="Face to face: where. Give place or online_url.")
    online_url: str | None = None
    regency_code: str = Field(description='Kabupaten/kota code, e.g. "35.77".')
    district: str | None = None
    organiser: str
    capacity: int
    sponsor: SponsorIn | None = None


class SessionFields(BaseModel):
    """A session; the model built with the router adds `<channel>_link` for each channel that
    has session links (null while that channel is not connected)."""

    code: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    online_url: str | None
    regency_code: str
    regency_name: str
    district: str | None
    organiser: str
    capacity: int
    branch_code: str
    sponsor: SponsorIn | None
    reserved: int | None = None
    funnel: list[dict[str, Any]] | None = None
    reasons: dict[str, int | str] | None = None


class AudienceFields(BaseModel):
    """Who a broadcast is for; the model built with the router adds `channels`, one or more of
    the channels that receive broadcasts (all of them by default)."""

    regencies: list[str] = []
    districts: list[str] = []
    occupations: list[str] = []
    occupation_groups: list[str] = []
    stage: Literal["never", "started", "submitted", "terdaftar", "not_terdaftar"] | None = None
    step: str | None = Field(default=None, description="With stage=started: the form step they stopped at.")
    session: str | None = Field(default=None, description="A session's code: its reservations or attendees.")
    session_role: Literal["reserved", "attended"] = "reserved"


class BroadcastFields(BaseModel):
    """A broadcast to send; the model built with the router adds its `audience`."""

    text: str = Field(description="The message; how to stop is added at its end.")
    send_at: datetime | None = Field(default=None, description="Later, with its offset; omitted: now.")


class BroadcastCreated(BaseModel):
    id: int
    status: str
    recipients: int


class ProgressOut(BaseModel):
    id: int
    status: str
    recipients: int
    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    waiting: int
    cancelled: int
    failures: dict[str, int] = Field(description="Failed or waiting, by reason.")
    by_channel: dict[str, dict[str, int]]
    started_form_7d: int
    submitted_7d: int
    preparing: bool = Field(
        description="The outbox rows are still being written in the background: `prepared` of `recipients`."
    )
    prepared: int


class BroadcastSummary(BaseModel):
    id: int
    status: str
    recipients: int
    created_at: datetime
    send_at: datetime | None


@dataclass(frozen=True)
class ChannelModels:
    """The API models whose fields depend on the channels the service knows, built with the router
    so the OpenAPI document names exactly those channels."""

    session_out: type[SessionFields]
    session_list: type[BaseModel]
    broadcast_in: type[BroadcastFields]

    @classmethod
    def of(cls, channels: Catalogue) -> ChannelModels:
        links: dict[str, Any] = {
            f"{info.name}_link": (
                str | None,
                Field(default=None, description=f"null when {info.display_name} is not connected."),
            )
            for info in channels.with_sessions()
        }
        session_out = create_model("SessionOut", __base__=SessionFields, **links)
        session_list = create_model("SessionList", items=(list[session_out], ...))  # type: ignore[valid-type]
        names = [info.name for info in channels.broadcasting()]
        channel = cast(Any, StrEnum)("BroadcastChannel", [(name, name) for name in names])
        audience_in = create_model(
            "AudienceIn",
            __base__=AudienceFields,
            channels=(
                list[channel],  # type: ignore[valid-type]
                Field(default=list(channel), description="Channels to reach; all by default."),
            ),
        )
        broadcast_in = create_model(
            "BroadcastIn",
            __base__=BroadcastFields,
            audience=(audience_in, Field(default_factory=audience_in)),
        )
        return cls(session_out, session_list, broadcast_in)

    def session(self, social: SocialSession, **extra: Any) -> SessionFields:
        sponsor = (
            SponsorIn(name=social.sponsor, months=social.sponsor_months or 0, quota=social.sponsor_quota or 0)
            if social.sponsor
            else None
        )
        fields = social.model_dump(include=set(SessionFields.model_fields) - {"sponsor"})
        return self.session_out(**fields, sponsor=sponsor, **extra)

    def view(self, found: SessionView) -> SessionFields:
        small = found.suppress
        reasons: dict[str, int | str] = {
            k: ("<5" if small and 0 < n < 5 else n) for k, n in found.funnel.reasons.items()
        }
        return self.session(
            found.social,
            reserved=found.reserved if not small or found.reserved >= 5 or found.reserved == 0 else None,
            **{f"{name}_link": url for name, url in found.links.items()},
            funnel=found.funnel.rows(suppress=small),
            reasons=reasons,
        )


def _typed(**types: Any) -> Callable[[F], F]:
    """Gives an endpoint's parameters types that exist only once the router is built (FastAPI reads
    them from the annotations when the route is added)."""

    def typed(endpoint: F) -> F:
        endpoint.__annotations__.update(types)
        return endpoint

    return typed


def _id(broadcast_id: str) -> int:
    if not broadcast_id.isdigit() or len(broadcast_id) > 12:
        raise NotFound("Siaran tidak ditemukan.")
    return int(broadcast_id)


def _progress_out(broadcast: Broadcast, progress: dict[str, Any]) -> ProgressOut:
    return ProgressOut(id=broadcast.id or 0, **progress)


def outreach_router(outreach: Outreach, channels: Catalogue) -> APIRouter:
    """Sessions and broadcasts over `outreach`; `channels` give the session links' fields and the
    channels an audience may name."""
    router = APIRouter(prefix=PREFIX, tags=["sessions and broadcasts"])
    run = service_call
    models = ChannelModels.of(channels)

    @router.post("/sessions", response_model=models.session_out, status_code=201, summary="Create a session")
    async def create_session(access: Caller, body: SessionIn) -> SessionFields:
        given = body.sponsor
        sponsor = Sponsor(given.name, given.months, given.quota) if given else None
        spec = SessionSpec(
            title=body.title,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            regency_code=body.regency_code,
            organiser=body.organiser,
            capacity=body.capacity,
            place=body.place,
            online_url=body.online_url,
            district=body.district,
            sponsor=sponsor,
        )
        social: SocialSession = await run(outreach.create_session(access, spec))
        return models.view(await run(outreach.session(access, social.code)))

    @router.get("/sessions", response_model=models.session_list, summary="Sessions you may see, latest first")
    async def list_sessions(access: Caller) -> BaseModel:
        found = await run(outreach.list_sessions(access))
        return models.session_list(items=[models.session(s.social) for s in found])

    @router.get(
        "/sessions/{code}", response_model=models.session_out, summary="A session with its links and funnel"
    )
    async def get_session(access: Caller, code: str) -> SessionFields:
        return models.view(await run(outreach.session(access, code)))

    @router.post("/broadcasts", response_model=BroadcastCreated, status_code=201, summary="Send a broadcast")
    @_typed(body=models.broadcast_in)
    async def create_broadcast(access: Caller, body: Any) -> BroadcastCreated:
        try:
            audience = Audience.from_dict(body.audience.model_dump())
        except Invalid as exc:
            raise api_error(InvalidInput(exc.field, exc.message)) from None
        created: Broadcast = await run(
            outreach.create_broadcast(access, text=body.text, audience=audience, send_at=body.send_at)
        )
        return BroadcastCreated(id=created.id or 0, status=created.status, recipients=created.recipients)

    @router.get("/broadcasts", response_model=list[BroadcastSummary], summary="Broadcasts, newest first")
    async def list_broadcasts(access: Caller) -> list[BroadcastSummary]:
        found: list[Broadcast] = await run(outreach.list_broadcasts(access))
        return [
            BroadcastSummary(
                id=b.id or 0,
                status=b.status,
                recipients=b.recipients,
                created_at=b.created_at,
                send_at=b.send_at,
            )
            for b in found
        ]

    @router.get("/broadcasts/{broadcast_id}", response_model=ProgressOut, summary="A broadcast's progress")
    async def get_broadcast(access: Caller, broadcast_id: str) -> ProgressOut:
        found = await run(outreach.broadcast(access, _id_or_404(broadcast_id)))
        return _progress_out(found.broadcast, found.progress.as_dict())

    def control(action: str) -> Any:
        async def handler(access: Caller, broadcast_id: str) -> ProgressOut:
            found = await run(outreach.control(access, _id_or_404(broadcast_id), action))
            return _progress_out(found.broadcast, found.progress.as_dict())

        handler.__name__ = f"broadcast_{action}"
        return handler

    for action in ("pause", "resume", "cancel"):
        router.add_api_route(
            f"/broadcasts/{{broadcast_id}}/{action}",
            control(action),
            methods=["POST"],
            response_model=ProgressOut,
            summary=f"{action.capitalize()} a broadcast",
        )
    return router


def _id_or_404(broadcast_id: str) -> int:
    try:
        return _id(broadcast_id)
    except NotFound as exc:
        raise api_error(exc) from None
