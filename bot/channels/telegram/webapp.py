"""The enrolment as a Telegram Mini App: `GET /webapp/enrol`, its screens, and its submission.

The page is rendered once on the server from the form's screens (Jinja2; labels and help from
messages/), with its own small style and script inline: no framework, nothing from another
site, one request on a slow connection. Telegram opens it from a `web_app` button and hands it
the signed `initData` and the theme in the address's fragment; the script follows the theme and
sends `initData` with every request, checked here with aiogram's `utils.web_app` (the bot
token's signature, and not older than `MAX_AGE`). The person is the chat the form belongs to.

- `POST /webapp/enrol/screen` `{"init_data", "screen", "fields"}`: `screen` null opens the form
  (its first screen, with what the draft holds); otherwise the screen's values are read with the
  chat's steps, and the answer is the next screen, or the same one with its errors.
- `POST /webapp/enrol` `{"init_data", "fields"}`: the whole form, read the same way, then the same
  submission as the chat's: 201 `{"reference"}`, or 422 `{"errors": {key: "..."}}`.

A wrong or stale `initData` is refused with 401.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.channels.telegram.inbound import CHANNEL
from bot.settings import Settings
from handlers.engine import Engine, Work
from handlers.enrol.native import Completed, Finished, NativeForm, View
from handlers.enrol.screens import describe, title
from handlers.types import Inbound
from messages.data import DEFAULT_LANGUAGE, data
from messages.form_labels import form_labels
from messages.render import AUTO_RELOAD, render
from storage.errors import TransientError
from storage.types import utcnow

log = logging.getLogger(__name__)

PATH = "/webapp/enrol"
MAX_AGE = timedelta(hours=24)
"""An `initData` older than this is refused: the Mini App is opened again from the chat."""
MAX_BODY = 32 * 1024
TEMPLATES = Path(__file__).parent / "templates"
POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self';"
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors https://web.telegram.org"
)
"""The page loads nothing from elsewhere and talks only to this service; Telegram Web may frame it."""


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        auto_reload=AUTO_RELOAD,
    )


def page(native: NativeForm, lang: str = DEFAULT_LANGUAGE) -> str:
    """The Mini App's page: every screen of the form, its inputs labelled from messages/."""
    screens = [
        {
            "id": screen.id,
            "title": title(screen, lang),
            "review": screen.review,
            "inputs": [
                {"key": item.key, "kind": item.kind, **asdict(describe(item, native.form, lang))}
                for item in screen.inputs
            ],
        }
        for screen in native.screens
    ]
    consent = render("enrol_ask_consent", lang, retention_years=data("consent")["retention_years"])
    return (
        _environment()
        .get_template("enrol.html.j2")
        .render(screens=screens, consent=consent.splitlines(), words=form_labels(lang)["native"], lang=lang)
    )


def view_json(view: View) -> dict[str, Any]:
    """A View as the page's script reads it."""
    return {
        "screen": view.screen.id,
        "values": view.values,
        "options": {key: [asdict(c) for c in choices] for key, choices in view.options.items()},
        "errors": view.errors,
        "notices": list(view.notices),
        "summary": list(view.summary),
    }


class MiniApp:
    """The Mini App's requests, each run in the engine's transaction of the person's chat."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        native: NativeForm,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        assert settings.telegram_bot_token
        self.token: str = settings.telegram_bot_token
        self.engine = engine
        self.native = native
        self.clock = clock

    def person(self, init_data: Any) -> WebAppInitData | None:
        """The signed, fresh `initData`'s contents; None for a forged or stale one."""
        if not isinstance(init_data, str) or not init_data:
            return None
        try:
            parsed = safe_parse_webapp_init_data(self.token, init_data)
        except ValueError:
            return None
        if parsed.user is None or self.clock() - parsed.auth_date > MAX_AGE:
            return None
        return parsed

    async def _run(self, init_data: WebAppInitData, work: Work) -> Any:
        assert init_data.user is not None
        inbound = Inbound(
            channel=CHANNEL,
            chat_id=str(init_data.user.id),
            message_id="",
            at=self.clock(),
            kind="form",
            sender_name=init_data.user.first_name,
        )
        return (await self.engine.handle(inbound, work)).result

    async def screen(self, request: Request) -> Response:
        body, who = await self._read(request)
        if who is None:
            return _refused()
        screen = body.get("screen")
        found = body.get("fields")
        fields: dict[str, Any] = found if isinstance(found, dict) else {}
        if not screen:
            result = await self._run(who, self.native.open)
        else:
            result = await self._run(who, lambda turn: self.native.submit(turn, str(screen), fields))
        if isinstance(result, Finished):  # the review sent through here: the page sends the form
            return JSONResponse({"screen": None, "fields": result.fields})
        return JSONResponse(view_json(result))

    async def submit(self, request: Request) -> Response:
        body, who = await self._read(request)
        if who is None:
            return _refused()
        fields = body.get("fields")
        if not isinstance(fields, dict):
            return JSONResponse({"errors": {"fields": form_labels()["native"]["check"]}}, status_code=422)
        result = await self._run(who, lambda turn: self.native.complete(turn, fields))
        if isinstance(result, Completed):
            return JSONResponse({"reference": result.reference}, status_code=201)
        return JSONResponse({"errors": result.errors, "screen": result.screen}, status_code=422)

    async def _read(self, request: Request) -> tuple[dict[str, Any], WebAppInitData | None]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return {}, None
        try:
            body = await request.json()
        except ValueError:
            return {}, None
        if not isinstance(body, dict):
            return {}, None
        return body, self.person(body.get("init_data"))


def _refused() -> JSONResponse:
    return JSONResponse({"errors": {"init_data": form_labels()["native"]["expired"]}}, status_code=401)


def webapp_routes(app: MiniApp) -> APIRouter:
    router = APIRouter()
    html = page(app.native)

    @router.get(PATH, include_in_schema=False)
    async def enrol_page() -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache", "Content-Security-Policy": POLICY})

    @router.post(f"{PATH}/screen", include_in_schema=False)
    async def enrol_screen(request: Request) -> Response:
        try:
            return await app.screen(request)
        except TransientError:
            return JSONResponse({"errors": {}}, status_code=503)

    @router.post(PATH, include_in_schema=False)
    async def enrol_submit(request: Request) -> Response:
        try:
            return await app.submit(request)
        except TransientError:
            return JSONResponse({"errors": {}}, status_code=503)

    return router
