"""The platforms' webhooks are served straight from behind the guard (bot/webhook_shortcut.py):
found however deeply their router is included, answered without the app's routing, and still
behind the body limit, the security headers and the secret check."""

from __future__ import annotations

import json

import httpx
from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.webhook_shortcut import WebhookShortcut, bare_post_routes
from fakes.telegram_user import text_update
from tests.handlers.test_edge_input import SECRET, telegram_client


async def _hook(_request: Request) -> Response:
    return PlainTextResponse("hook")


def test_plain_post_routes_are_found_in_included_routers_and_fastapi_routes_are_not() -> None:
    inner = APIRouter()
    inner.routes.append(Route("/webhook/pigeon", _hook, methods=["POST"]))
    inner.routes.append(Route("/webhook/pigeon/check", _hook, methods=["GET"]))

    @inner.post("/api/v1/pigeons")
    async def api() -> dict[str, str]:
        return {}

    outer = APIRouter()
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)

    assert bare_post_routes(app.routes) == {"/webhook/pigeon": _hook}


async def test_a_webhook_post_skips_the_app_and_everything_else_reaches_it() -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(f"{scope['method']} {scope['path']}")
        await PlainTextResponse("app")(scope, receive, send)

    shortcut = WebhookShortcut(app, endpoints={"/webhook/pigeon": _hook})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shortcut), base_url="http://t") as client:
        assert (await client.post("/webhook/pigeon")).text == "hook"
        assert (await client.get("/webhook/pigeon")).text == "app"
        assert (await client.post("/webhook/pigeon/x")).text == "app"
    assert reached == ["GET /webhook/pigeon", "POST /webhook/pigeon/x"]


async def test_the_telegram_webhook_keeps_its_secret_check_and_security_headers(db_url: str) -> None:
    body = json.dumps(text_update(7101, 601, "halo")).encode()
    async with telegram_client(db_url) as (client, _service):
        wrong = await client.post(
            "/webhook/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status_code == 401
        assert wrong.headers["x-content-type-options"] == "nosniff"
        good = await client.post(
            "/webhook/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert good.status_code == 200 and good.json() == {"ok": True}
        assert good.headers["x-frame-options"] == "DENY"
        bad = await client.post(
            "/webhook/telegram", content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert bad.status_code == 400
