"""A fake WhatsApp Cloud API (Graph API) on 127.0.0.1, for tests of the real pywa client.

It serves `POST /{version}/{phone_number_id}/messages` and the phone number object
(`GET /{version}/{phone_number_id}`, with its `display_phone_number`) from a thread, records every call (time,
path, headers, JSON body, the status it answered) and answers like Meta: a `wamid` for a
sent message, or Meta's error JSON when a test scripts one (`fail`). It keeps WhatsApp Flows
too, as the Flows API does (`flows.py`): list, create (and publish), upload the Flow JSON
(multipart), update the metadata, publish; a published Flow cannot change, a name is unique.

    with FakeGraphAPI() as graph:
        graph.fail(graph_error(130429), when=lambda body: body["to"] == "628111")
        ... WHATSAPP_API_URL=graph.url ...
        graph.wait_for(lambda calls: len(calls) >= 2)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Meta's documented errors: code → (HTTP status, title, details).
ERRORS: dict[int, tuple[int, str, str]] = {
    130429: (400, "Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (
        400,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone number "
        "in a short period of time.",
    ),
    131047: (
        400,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
    ),
    131000: (500, "Something went wrong", "Message failed to send due to an unknown error."),
    131016: (503, "Service unavailable", "A service is temporarily unavailable."),
    131026: (400, "Message undeliverable", "Unable to deliver message."),
    100: (400, "Invalid parameter", "Invalid parameter."),
    190: (401, "Access token has expired", "Error validating access token."),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops bursts of connections, delaying them by seconds


@dataclass(frozen=True)
class GraphError:
    status: int
    body: dict[str, Any]


def graph_error(code: int) -> GraphError:
    """Meta's error response for `code`: {"error": {message, type, code, error_data, fbtrace_id}}."""
    status, title, details = ERRORS[code]
    return GraphError(
        status,
        {
            "error": {
                "message": f"(#{code}) {title}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": details},
                "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
            }
        },
    )


@dataclass(frozen=True)
class Call:
    at: float
    """time.monotonic() when the request arrived."""
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int
    message_id: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def kind(self) -> str:
        """text, interactive button, interactive list, template, …"""
        kind = str(self.body.get("type"))
        if kind == "interactive":
            return f"interactive {self.body['interactive']['type']}"
        return kind

    @property
    def to(self) -> str:
        return str(self.body.get("to") or self.body.get("recipient"))

    @property
    def text(self) -> str:
        """What the person sees as the message's text."""
        kind = self.body.get("type")
        if kind == "text":
            return str(self.body["text"]["body"])
        if kind == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if kind == "template":
            components = self.body["template"].get("components") or []
            return " ".join(p.get("text", "") for c in components for p in c.get("parameters", []))
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the buttons or list rows."""
        if self.body.get("type") != "interactive":
            return []
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action.get("sections", []) for r in s["rows"]]

    @property
    def flow(self) -> dict[str, Any] | None:
        """An interactive Flow message's parameters (flow_token, flow_name, flow_cta...)."""
        if self.kind != "interactive flow":
            return None
        parameters: dict[str, Any] = self.body["interactive"]["action"]["parameters"]
        return parameters


@dataclass
class _Plan:
    error: GraphError
    when: Callable[[dict[str, Any]], bool] | None
    times: int


@dataclass
class FakeGraphAPI:
    host: str = "127.0.0.1"
    display_phone_number: str = "+1 555-078-3881"
    """What `GET /{version}/{phone_number_id}` answers (Meta's formatting, spaces and dashes)."""
    calls: list[Call] = field(default_factory=list)
    lookups: list[Call] = field(default_factory=list)
    """Reads of the phone number object (GET), in order."""
    _plans: list[_Plan] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: _Server | None = None
    _thread: threading.Thread | None = None
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The WhatsApp Flows of the account, by id (see `_FlowsAPI`)."""
    flow_calls: list[Call] = field(default_factory=list)
    """Calls of the Flows API, in order (kept apart from the messages)."""

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fail(
        self, error: GraphError, *, when: Callable[[dict[str, Any]], bool] | None = None, times: int = 1
    ) -> None:
        """Answers the next `times` calls matching `when` (any call when None) with `error`."""
        with self._lock:
            self._plans.append(_Plan(error, when, times))

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], str | None]:
        with self._lock:
            for plan in self._plans:
                if plan.times > 0 and (plan.when is None or plan.when(body)):
                    plan.times -= 1
                    return plan.error.status, plan.error.body, None
            wamid = f"wamid.FAKE{next(self._ids):06d}"
        recipient = str(body.get("to") or body.get("recipient") or "")
        return (
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [
                    {
                        "id": wamid,
                        **({"message_status": "accepted"} if body.get("type") == "template" else {}),
                    }
                ],
            },
            wamid,
        )

    def start(self) -> FakeGraphAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def flows_api(self, method: str, raw: bytes) -> bool:
                """A Flows API call, answered; False when the path is not one."""
                parts = self.path.split("?")[0].strip("/").split("/")
                answered = _FlowsAPI(fake.flows).answer(
                    method, parts, raw, self.headers.get("Content-Type", "")
                )
                if answered is None:
                    return False
                status, body = answered
                fake.flow_calls.append(
                    Call(time.monotonic(), method, self.path, dict(self.headers), body, status, None)
                )
                self.answer(status, body)
                return True

            def do_GET(self) -> None:
                if self.flows_api("GET", b""):
                    return
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) == 2:
                    status = 200
                    answer: dict[str, Any] = {
                        "display_phone_number": fake.display_phone_number,
                        "id": parts[1],
                    }
                else:
                    status, answer = 404, {"error": {"message": "Unknown path", "code": 803}}
                # Kept apart from `calls`, which are the messages (rates, order, counts).
                call = Call(time.monotonic(), "GET", self.path, dict(self.headers), {}, status, None)
                fake.lookups.append(call)
                self.answer(status, answer)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.flows_api("POST", raw):
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                parts = self.path.strip("/").split("/")
                if not isinstance(body, dict) or "_raw" in body or not body.get("to"):
                    # cut short (a killed client) or without a recipient: Meta refuses it
                    status, answer, wamid = graph_error(100).status, graph_error(100).body, None
                elif len(parts) == 3 and parts[2] == "messages" and isinstance(body, dict):
                    status, answer, wamid = fake._answer(body)
                else:
                    status, answer, wamid = 404, {"error": {"message": "Unknown path", "code": 803}}, None
                fake.calls.append(
                    Call(time.monotonic(), "POST", self.path, dict(self.headers), body, status, wamid)
                )
                self.answer(status, answer)

        self._server = _Server((self.host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-graph", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGraphAPI:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # Reading what was sent.

    def sent(self, to: str | None = None) -> list[Call]:
        """Calls answered with a message id, optionally to one person, in order."""
        return [c for c in list(self.calls) if c.ok and (to is None or c.to == to)]

    def wait_for(self, condition: Callable[[list[Call]], bool], timeout: float = 20.0) -> list[Call]:
        """Polls until `condition(calls)` holds; fails the test with what was recorded otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = list(self.calls)
            if condition(calls):
                return calls
            time.sleep(0.02)
        raise AssertionError(
            "the fake Graph API did not see the expected calls; it saw:\n"
            + "\n".join(f"  {c.status} {c.kind} to {c.to}: {c.text[:80]!r}" for c in self.calls)
        )

    def wait_for_sent(self, count: int, to: str | None = None, timeout: float = 20.0) -> list[Call]:
        """Waits until at least `count` messages were sent (to `to`); returns them."""
        self.wait_for(lambda _calls: len(self.sent(to)) >= count, timeout)
        return self.sent(to)


class _FlowsAPI:
    """The Flows API over a dict of flows: what Meta answers to each call."""

    def __init__(self, flows: dict[str, dict[str, Any]]) -> None:
        self.flows = flows

    def answer(
        self, method: str, parts: list[str], raw: bytes, content_type: str
    ) -> tuple[int, dict[str, Any]] | None:
        if len(parts) == 3 and parts[2] == "flows":
            return self._list() if method == "GET" else self._create(json.loads(raw or b"{}"))
        flow = self.flows.get(parts[1]) if len(parts) >= 2 else None
        if flow is None:
            return None
        if len(parts) == 2:
            if method == "GET":
                return 200, self._details(flow)
            flow.update({k: v for k, v in json.loads(raw or b"{}").items() if k in ("name", "endpoint_uri")})
            return 200, {"success": True}
        if parts[2] == "assets" and method == "POST":
            if flow["status"] != "DRAFT":
                return graph_error(100).status, {
                    "error": {"message": "(#139001) Flow can't be updated", "code": 139001}
                }
            flow["json"] = _multipart_file(raw, content_type)
            return 200, {"success": True, "validation_errors": _validation_errors(flow["json"])}
        if parts[2] == "publish" and method == "POST":
            if _validation_errors(flow.get("json")):
                return 400, {"error": {"message": "(#139002) Publishing failed", "code": 139002}}
            flow["status"] = "PUBLISHED"
            return 200, {"success": True}
        return None

    def _details(self, flow: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": flow["id"],
            "name": flow["name"],
            "status": flow["status"],
            "categories": flow["categories"],
            "validation_errors": _validation_errors(flow.get("json")),
            "endpoint_uri": flow.get("endpoint_uri"),
            "updated_at": "2026-12-01T10:00:00+0000",
        }

    def _list(self) -> tuple[int, dict[str, Any]]:
        return 200, {"data": [self._details(f) for f in self.flows.values()]}

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if any(f["name"] == body.get("name") for f in self.flows.values()):
            return 400, {"error": {"message": "(#100) Flow name is not unique", "code": 100}}
        flow_id = str(10_000_000 + len(self.flows) + 1)
        text = body.get("flow_json")
        errors = _validation_errors(text) if text else []
        self.flows[flow_id] = {
            "id": flow_id,
            "name": body.get("name"),
            "categories": body.get("categories") or [],
            "endpoint_uri": body.get("endpoint_uri"),
            "json": text,
            "status": "PUBLISHED" if body.get("publish") and text and not errors else "DRAFT",
        }
        return 200, {"id": flow_id, "success": not errors, "validation_errors": errors}


def _multipart_file(raw: bytes, content_type: str) -> str | None:
    """The `file` part of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else None
    return None


def _validation_errors(text: str | None) -> list[dict[str, Any]]:
    """What the fake checks of a Flow JSON: that it parses, with a version and screens."""
    try:
        flow = json.loads(text or "")
    except ValueError:
        flow = None
    if isinstance(flow, dict) and flow.get("version") and flow.get("screens"):
        return []
    return [
        {
            "error": "INVALID_JSON",
            "error_type": "JSON_SCHEMA_ERROR",
            "message": "The Flow JSON is not valid.",
            "line_start": 1,
            "line_end": 1,
            "column_start": 1,
            "column_end": 1,
        }
    ]
