"""`GET /api/v1/arrears?state=menunggak|nonaktif&regency=35.77&answer=<reason>|belum_ditanya|belum_menjawab`:
the caller's branch's workers behind with payments, as the `/staff/arrears` page lists them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service import Backoffice
from dashboard.service.arrears import ArrearsItem, Filters, list_arrears

Answer = Literal[
    "kurang_uang",
    "tidak_tahu",
    "lupa",
    "pindah",
    "tidak_lanjut",
    "lainnya",
    "belum_ditanya",
    "belum_menjawab",
]


class ArrearsList(BaseModel):
    today: date
    items: list[ArrearsItem]
    counts: dict[str, int] = Field(description="Workers per state in your branch (the filters aside).")
    truncated: bool = Field(description="Only the first 500 matching workers are listed.")


def arrears_router(backoffice: Backoffice) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["back office"])

    @router.get("/arrears", response_model=ArrearsList, summary="Workers behind with payments")
    async def arrears(
        access: Caller,
        state: Literal["menunggak", "nonaktif"] | None = None,
        regency: str | None = None,
        answer: Answer | None = None,
    ) -> ArrearsList:
        page = await service_call(
            list_arrears(backoffice.db, access, backoffice.clock(), Filters(state, regency, answer))
        )
        return ArrearsList(today=page.today, items=page.items, counts=page.counts, truncated=page.truncated)

    return router
