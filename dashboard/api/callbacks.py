"""The JSON API of callback requests ("minta ditelepon"): list, read, take, reveal the number, close.

`GET /api/v1/callbacks?status=open|baru|ditangani|selesai|tidak_terhubung|all`,
`GET /api/v1/callbacks/{callback_id}`, `POST .../assign`, `POST .../phone` (audited),
`POST .../close` with `{"outcome": "selesai|tidak_terhubung", "note"}`. Another branch's
request is 404, like a missing one.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service import Backoffice
from dashboard.service.callbacks import CallbackItem


class CallbackList(BaseModel):
    items: list[CallbackItem]
    counts: dict[str, int] = Field(description="Requests per status in your branch (the filter aside).")


class CallbackTake(BaseModel):
    expected_version: int | None = None


class CallbackClose(BaseModel):
    outcome: Literal["selesai", "tidak_terhubung"]
    note: str | None = Field(default=None, max_length=1000, description="Required for tidak_terhubung.")
    expected_version: int | None = None


class RevealedPhone(BaseModel):
    id: int
    phone: str


def callbacks_router(backoffice: Backoffice) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["back office"])
    run = service_call

    @router.get("/callbacks", response_model=CallbackList, summary="Callback requests, oldest first")
    async def list_callbacks(
        access: Caller,
        status: Literal["open", "baru", "ditangani", "selesai", "tidak_terhubung", "all"] = "open",
    ) -> CallbackList:
        page = await run(backoffice.callbacks(access, status=None if status == "all" else status))
        return CallbackList(items=page.items, counts=page.counts)

    @router.get("/callbacks/{callback_id}", response_model=CallbackItem, summary="One callback request")
    async def get_callback(access: Caller, callback_id: int) -> CallbackItem:
        item: CallbackItem = await run(backoffice.callback(access, callback_id))
        return item

    @router.post(
        "/callbacks/{callback_id}/assign", response_model=CallbackItem, summary="Take it (Saya tangani)"
    )
    async def take_callback(
        access: Caller, callback_id: int, body: CallbackTake | None = None
    ) -> CallbackItem:
        expected = body.expected_version if body else None
        item: CallbackItem = await run(backoffice.take_callback(access, callback_id, expected))
        return item

    @router.post(
        "/callbacks/{callback_id}/phone", response_model=RevealedPhone, summary="Reveal the number (audited)"
    )
    async def reveal_phone(access: Caller, callback_id: int) -> RevealedPhone:
        phone: str = await run(backoffice.reveal_callback_phone(access, callback_id))
        return RevealedPhone(id=callback_id, phone=phone)

    @router.post(
        "/callbacks/{callback_id}/close", response_model=CallbackItem, summary="Record the call and close it"
    )
    async def close_callback(access: Caller, callback_id: int, body: CallbackClose) -> CallbackItem:
        item: CallbackItem = await run(
            backoffice.close_callback(
                access, callback_id, body.outcome, note=body.note, expected_version=body.expected_version
            )
        )
        return item

    return router
