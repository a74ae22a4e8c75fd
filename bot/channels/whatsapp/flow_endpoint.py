"""`POST /webhook/whatsapp/flow`: the WhatsApp Flow's data endpoint.

WhatsApp posts `{encrypted_flow_data, encrypted_aes_key, initial_vector}`, signed like a webhook
(`X-Hub-Signature-256`, the app secret): the AES key is encrypted to the business public key
(RSA-OAEP, SHA-256), the request body with it (AES-GCM); the answer is encrypted with the same
key and the inverted IV, base64 (pywa's Flows helpers, `pywa.utils`). Refusals follow the Flows
protocol: a wrong or missing signature 432, a body that cannot be decrypted 421 (WhatsApp
fetches the public key again), a token the service never issued or that expired 427.

`ping` answers that the endpoint is active; an error notification is acknowledged; `INIT`,
`BACK` and `data_exchange` run the enrolment's form path (`handlers/enrol/native.py`) in the
engine's transaction of the person's conversation, which the token names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse
from pywa.types.flows import FlowResponse
from pywa.utils import default_flow_request_decryptor, default_flow_response_encryptor

from bot.channels.cleaning import load_json
from bot.channels.whatsapp.flow_json import ERROR_KINDS, screen_id
from bot.channels.whatsapp.inbound import CHANNEL
from bot.channels.whatsapp.render import shorten
from bot.channels.whatsapp.signature import SIGNATURE_HEADER, signature_valid
from bot.settings import Settings
from handlers.engine import Engine, Work
from handlers.enrol.native import Finished, NativeForm, View
from handlers.turn import Turn
from handlers.types import Inbound
from messages.form_labels import form_labels
from storage.db import Database
from storage.errors import TransientError
from storage.forms import find_token
from storage.types import utcnow

log = logging.getLogger(__name__)

PATH = "/webhook/whatsapp/flow"
MAX_BODY = 64 * 1024
"""A Flow request carries one screen's values: a few kilobytes."""
SIGNATURE_FAILED, CANNOT_DECRYPT, TOKEN_INVALID = 432, 421, 427
OPTION_TITLE_LIMIT, OPTIONS_LIMIT = 30, 200


def screen_data(view: View) -> dict[str, Any]:
    """A View as the Flow screen's data (see flow_json.py for the keys)."""
    words = form_labels(view.lang)["native"]
    notes = list(view.notices)
    data: dict[str, Any] = {}
    for item in view.screen.inputs:
        value = view.values.get(item.key)
        data[f"v_{item.key}"] = (
            bool(value) if item.kind == "consent" else ("" if value is None else str(value))
        )
        error = view.errors.get(item.key, "")
        if item.kind in ERROR_KINDS:
            data[f"e_{item.key}"] = error
        elif error:
            notes.append(error)
        if item.kind in ("choice", "radio"):
            data[f"o_{item.key}"] = [
                {
                    "id": c.id,
                    "title": shorten(c.title, OPTION_TITLE_LIMIT),
                    **({"description": c.description} if c.description else {}),
                }
                for c in view.options.get(item.key, [])[:OPTIONS_LIMIT]
            ]
    if view.errors and not notes:
        notes.append(words["check"])
    data["notice"] = "\n".join(notes)
    data["has_notice"] = bool(notes)
    if view.screen.review:
        data["summary"] = "\n".join(view.summary)
    return data


class FlowEndpoint:
    """Decrypts, checks and answers the Flow's requests."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        engine: Engine,
        native: NativeForm,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        assert settings.whatsapp_app_secret and settings.whatsapp_flow_private_key
        self.secret: str = settings.whatsapp_app_secret
        self.private_key: str = settings.whatsapp_flow_private_key
        self.passphrase = settings.whatsapp_flow_key_passphrase
        self.db = db
        self.engine = engine
        self.native = native
        self.clock = clock

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("body too large", status_code=413)
        header = request.headers.get(SIGNATURE_HEADER) or ""
        if not header or not signature_valid(self.secret, body, header):
            log.warning("refused a WhatsApp Flow request with a missing or wrong signature")
            return PlainTextResponse("signature verification failed", status_code=SIGNATURE_FAILED)
        try:
            envelope = load_json(body)
            request_data, aes_key, iv = default_flow_request_decryptor(
                envelope["encrypted_flow_data"],
                envelope["encrypted_aes_key"],
                envelope["initial_vector"],
                self.private_key,
                self.passphrase,
            )
        except Exception:  # untrusted input: whatever fails, the answer is "cannot decrypt"
            log.warning("a WhatsApp Flow request could not be decrypted")
            return PlainTextResponse("cannot decrypt", status_code=CANNOT_DECRYPT)

        def answer(content: dict[str, Any], status: int = 200) -> Response:
            encrypted = default_flow_response_encryptor(content, aes_key, iv)
            return PlainTextResponse(encrypted, status_code=status)

        try:
            content, status = await self.respond(request_data)
        except TransientError:
            return PlainTextResponse("try again", status_code=503)
        return answer(content, status)

    async def respond(self, request: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The (plain) answer to a decrypted request, and its HTTP status."""
        action = request.get("action")
        if action == "ping":
            return {"data": {"status": "active"}}, 200
        version = str(request.get("version") or "3.0")
        found = request.get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        if "error" in data:  # WhatsApp tells the endpoint about an error it met: acknowledged
            log.warning("WhatsApp Flow reported an error: %s", str(data.get("error"))[:200])
            return {"version": version, "data": {"acknowledged": True}}, 200
        token = str(request.get("flow_token") or "")
        now = self.clock()
        async with self.db.reader() as session:
            issued = await find_token(session, token) if token else None
        if issued is None or issued.expires_at <= now or issued.channel != CHANNEL:
            return {"error_msg": form_labels()["native"]["expired"]}, TOKEN_INVALID
        screen = request.get("screen") or None
        work: Work
        if action == "INIT":
            work = self._opened(token)
        elif action == "BACK":
            work = lambda turn: self.native.show(turn, _form_screen(screen))  # noqa: E731
        else:
            work = lambda turn: self.native.submit(turn, _form_screen(screen), data)  # noqa: E731
        inbound = Inbound(
            channel=CHANNEL,
            chat_id=issued.chat_id,
            message_id="",
            at=now,
            kind="form",
            form_token=token,
            sender_phone=f"+{issued.chat_id}" if issued.chat_id.isdigit() else None,  # WhatsApp's chat id
        )
        result = (await self.engine.handle(inbound, work)).result
        if isinstance(result, Finished):
            response = FlowResponse(version=version, close_flow=True, flow_token=token, data=result.fields)
            return response.to_dict(), 200
        assert isinstance(result, View)
        shown, data = screen_id(result.screen), screen_data(result)
        if action != "INIT" and shown not in self._reachable(screen):
            shown, data = self._elsewhere(result)
        response = FlowResponse(version=version, screen=shown, data=data)
        return response.to_dict(), 200

    def _reachable(self, flow_screen: str | None) -> set[str]:
        """The screens the routing model lets a request on `flow_screen` answer with."""
        ids = [screen_id(s) for s in self.native.screens]
        at = ids.index(flow_screen) if flow_screen in ids else 0
        return set(ids[at : at + 2])

    def _elsewhere(self, view: View) -> tuple[str, dict[str, Any]]:
        """An answer still missing on an earlier screen (a draft that expired on the way): the
        review screen says which, and the person goes back to it (the routing model runs one way)."""
        words = form_labels(view.lang)["native"]
        lines = [f"{self.native.input_label(key, view.lang)}: {error}" for key, error in view.errors.items()]
        notice = "\n".join([*lines, words["go_back"]])
        return screen_id(self.native.screens[-1]), {"notice": notice, "has_notice": True, "summary": ""}

    def _opened(self, token: str) -> Work:
        async def work(turn: Turn) -> View:
            issued = await turn.store.form_token(token)
            if issued is not None and issued.opened_at is None:
                issued.opened_at = turn.now
            return await self.native.open(turn)

        return work


def _form_screen(flow_screen: str | None) -> str | None:
    """ "IDENTITY" -> "identity"."""
    return flow_screen.lower() if flow_screen else None
