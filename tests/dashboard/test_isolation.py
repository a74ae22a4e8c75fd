"""Branch isolation on every route of the app, enumerated from the app itself.

A supervisor of KC-MADURA (allowed every route) calls each route with a KC-MADIUN submission:
a route that takes a reference must answer 404 exactly as for one that does not exist; any other
route must not show the submission (its reference, name or masked NIK). Routes are found in
`app.routes`, so a route added later is covered without anyone listing it: each route must
belong to a face below (API, staff pages) or be one of the few public ones, or this fails.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from tests.support.api_helpers import Site, site
from tests.support.backoffice_helpers import MADURA, PASSWORD, nik_for, seed

# Routes anyone may call, with nothing of a submission in them.
PUBLIC = {
    "/healthz",
    "/metrics",
    "/webhook/telegram",
    "/webhook/whatsapp",
    "/openapi.json",
    "/api/docs",
    "/api/docs/oauth2-redirect",
    "/docs/oauth2-redirect",
}
MISSING = "ACDE-FGHJ"
MISSING_CALLBACK = "987654"
MADIUN_OFFICER = "siti.madiun"
"""A KC-MADIUN account: the team pages answer another branch's supervisor as for a missing one."""
N = 77
QUESTION = "Bagaimana cara klaim JKK untuk ojol?"
SESSION_TITLE = "Sosialisasi rahasia Madiun"
UNSEEN = ("Warga 77", "357701******0077", nik_for(N), QUESTION, "0812-****-077", SESSION_TITLE)
"""Personal data and titles, never on another branch's page, even its 404 for an id typed in."""


@dataclass
class Case:
    site: Site
    reference: str
    """A KC-MADIUN submission."""
    openapi: dict[str, Any]
    callback_id: str = ""
    """A KC-MADIUN callback request ("minta ditelepon") of the same person."""
    session_code: str = ""
    """A KC-MADIUN socialization session."""
    broadcast_id: int = 0
    """A KC-MADIUN broadcast."""
    reply_id: int = 0
    """A KC-MADIUN saved reply (the agent inbox)."""

    def params(self) -> dict[str, tuple[str, str]]:
        """Each path parameter: (KC-MADIUN's object, one that does not exist)."""
        return {
            "reference": (self.reference, MISSING),
            "code": (self.session_code, "ZZZ0101"),
            "broadcast_id": (str(self.broadcast_id), "999999"),
            "callback_id": (self.callback_id, MISSING_CALLBACK),
            "username": (MADIUN_OFFICER, "tidak.ada"),
            "reply_id": (str(self.reply_id), "999999"),
            "macro_id": ("tersambung", "tersambung"),
        }

    def secrets(self) -> tuple[str, ...]:
        """What no answer to another branch may contain."""
        return (self.reference, self.session_code, *UNSEEN)

    def urls(self, path: str) -> tuple[str, str] | None:
        """The path for KC-MADIUN's object and for a missing one; None without a parameter."""
        named = [name for name in self.params() if f"{{{name}}}" in path]
        if not named:
            return None
        theirs, missing = path, path
        for name in named:
            theirs = theirs.replace(f"{{{name}}}", self.params()[name][0])
            missing = missing.replace(f"{{{name}}}", self.params()[name][1])
        return theirs, missing

    def same_page(self, path: str, text: str) -> str:
        """The page as it would read for the missing objects (their ids typed in the address)."""
        for name, (theirs, missing) in self.params().items():
            if f"{{{name}}}" in path and not theirs.isdigit():  # a number is also in the markup
                text = text.replace(theirs, missing)
        return text


Face = Callable[[Case, str, str], Awaitable[None]]
"""Checks one (method, path template) of a face as an account of another branch."""


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A value that satisfies the schema's required parts (the body must parse to reach the handler)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(schema["properties"][name], components) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00+07:00"
    if schema.get("format") == "date":
        return "2030-01-01"
    return "x"


def _body(case: Case, method: str, path: str) -> Any:
    operation = case.openapi["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else _example(schema, case.openapi.get("components", {}).get("schemas", {}))


async def api_face(case: Case, method: str, path: str) -> None:
    token = await case.site.office.issue_token("test", "budi")
    async with case.site.client(token) as client:
        urls = case.urls(path)
        if urls is not None:
            answers = [await client.request(method, url, json=_body(case, method, path)) for url in urls]
            theirs, missing = answers
            assert theirs.status_code == 404, (method, path, theirs.text)
            assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json()), (
                method,
                path,
            )
        else:
            assert not re.search(r"{\w+}", path), f"{path}: a new path parameter; teach this test about it"
            answer = await client.request(method, path, json=_body(case, method, path))
            assert answer.status_code in (200, 201, 403, 422), (method, path, answer.status_code)
            for secret in case.secrets():
                assert secret not in answer.text, (method, path, secret)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# The pages' own log-in and log-out, and their static files, hold no submission.
PAGE_AUTH = {("GET", "/staff/login"), ("POST", "/staff/login"), ("POST", "/staff/logout")}


async def _logged_in(case: Case) -> tuple[httpx.AsyncClient, str]:
    client = case.site.client()
    form = await client.get("/staff/login")
    token = _CSRF.search(form.text)
    assert token is not None, form.text
    done = await client.post(
        "/staff/login", data={"username": "budi", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code in (200, 303), done.text
    queue = await client.get("/staff")
    csrf = _CSRF.search(queue.text)
    return client, csrf.group(1) if csrf else token.group(1)


async def page_face(case: Case, method: str, path: str) -> None:
    if (method, path) in PAGE_AUTH or path.startswith("/staff/static/"):
        return
    client, csrf = await _logged_in(case)
    try:
        data = {"csrf_token": csrf} if method == "POST" else None
        urls = case.urls(path)
        if urls is not None:
            answers = [await client.request(method, url, data=data) for url in urls]
            theirs, missing = answers
            # 404 as for a missing object; 403 for both where the role may not act at all (accounts).
            assert theirs.status_code == missing.status_code in (403, 404), (method, path)
            # The same page, but for the reference typed in the address.
            assert case.same_page(path, theirs.text) == missing.text, (method, path)
            assert not [secret for secret in UNSEEN if secret in theirs.text], (method, path)
        else:
            assert not re.search(r"{\w+}", path), f"{path}: a new path parameter; teach this test about it"
            answer = await client.request(method, path, data=data)
            for secret in case.secrets():
                assert secret not in answer.text, (method, path, secret)
    finally:
        await client.aclose()


# Faces by path prefix: every route that is not public must belong to one.
FACES: dict[str, Face] = {"/api/": api_face, "/staff": page_face}


@pytest.fixture
async def case(db_url: str) -> AsyncIterator[Case]:
    async with site(db_url) as running:
        from tests.support.backoffice_helpers import account

        await account(running.office, "budi", "supervisor", where=MADURA)
        await account(running.office, MADIUN_OFFICER, "staff")
        reference = await seed(running.office.db, n=N, vault=running.office.vault)
        callback_id = await seed_callback(running, reference)
        async with running.client() as client:
            openapi = (await client.get("/openapi.json")).json()
        code, broadcast_id = await outreach_of_madiun(running)
        reply_id = await saved_reply_of_madiun(running)
        yield Case(running, reference, openapi, str(callback_id), code, broadcast_id, reply_id)


async def saved_reply_of_madiun(running: Site) -> int:
    """A KC-MADIUN saved reply, written by its supervisor."""
    from dashboard.service.inbox import AgentInbox
    from tests.support.backoffice_helpers import account

    boss = await account(running.office, "sari", "supervisor")
    saved = await AgentInbox.of(running.office).save_reply(boss, title="Jam buka", text="Senin-Jumat.")
    return saved.id


async def seed_callback(running: Site, reference: str) -> int:
    """A KC-MADIUN "minta ditelepon" from the person who made the submission."""
    from sqlmodel import select

    from storage.models import CallbackRequest, Submission

    vault = running.office.vault
    async with running.office.db.transaction() as session:
        submission = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        request = CallbackRequest(
            contact_id=submission.contact_id,
            channel="telegram",
            branch_code="KC-MADIUN",
            regency_code="35.77",
            phone_enc=vault.encrypt(f"+6281234{N:05d}"),
            question_enc=vault.encrypt(QUESTION),
        )
        session.add(request)
        await session.flush()
        assert request.id is not None
        return request.id


async def outreach_of_madiun(running: Site) -> tuple[str, int]:
    """A KC-MADIUN session and a broadcast announcing it."""
    from dashboard.service import broadcasts, sessions

    now = datetime.now(UTC)
    start = now.replace(tzinfo=None) + timedelta(days=30)
    spec = sessions.SessionSpec(
        title=SESSION_TITLE,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        regency_code="35.77",
        organiser="Dinas Koperasi dan UKM Kota Madiun",
        capacity=100,
        place="Balai Kota",
    )
    social = await sessions.create_session(running.office.db, spec, actor="test", branches=None, now=now)
    audience = broadcasts.Audience(session=social.code)
    sent = await broadcasts.create_broadcast(
        running.office.db,
        text="Info acara.",
        audience=audience,
        actor="test",
        branch="KC-MADIUN",
        now=now,
        channels=running.service.catalogue,
    )
    return social.code, sent.id or 0


def routes_of(case: Case) -> list[tuple[str, str]]:
    """(method, path) of every route, included routers' and mounted apps' too."""
    found = []
    for route in iter_route_contexts(case.site.app.routes):
        if isinstance(route.original_route, Mount):
            found.append(("GET", f"{route.path}/{{path}}"))
            continue
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                found.append((method, str(route.path)))
    return found


async def test_every_route_hides_another_branch(case: Case) -> None:
    checked = []
    uncovered = []
    for method, path in routes_of(case):
        if path in PUBLIC:
            continue
        face = next((f for prefix, f in FACES.items() if path.startswith(prefix)), None)
        if face is None:
            uncovered.append((method, path))
            continue
        await face(case, method, path)
        checked.append((method, path))
    assert not uncovered, f"routes no face checks and not public: {uncovered}"
    assert ("GET", "/api/v1/submissions/{reference}") in checked
    assert ("POST", "/api/v1/submissions/{reference}/status") in checked
    assert ("GET", "/staff/callbacks/{callback_id}") in checked
    assert ("POST", "/api/v1/callbacks/{callback_id}/phone") in checked
    assert ("GET", "/api/v1/sessions/{code}") in checked and (
        "GET",
        "/staff/sessions/{code}/poster",
    ) in checked
    assert ("GET", "/api/v1/broadcasts/{broadcast_id}") in checked
    assert ("POST", "/staff/broadcasts/{broadcast_id}/cancel") in checked
    assert len(checked) >= 9


async def test_the_other_branch_sees_it(case: Case) -> None:
    """The check above can fail: the owning branch gets the submission on the same routes."""
    from tests.support.backoffice_helpers import account

    await account(case.site.office, "ani")
    token = await case.site.office.issue_token("test", "ani")
    async with case.site.client(token) as client:
        assert (await client.get(f"/api/v1/submissions/{case.reference}")).status_code == 200
        assert case.reference in (await client.get("/api/v1/submissions")).text
        assert (await client.get(f"/api/v1/callbacks/{case.callback_id}")).status_code == 200
        listed = (await client.get("/api/v1/callbacks")).text
        assert QUESTION in listed and "0812-****-077" in listed and case.reference in listed
        assert (await client.get(f"/api/v1/sessions/{case.session_code}")).status_code == 200
        assert (await client.get(f"/api/v1/broadcasts/{case.broadcast_id}")).status_code == 200
        assert case.session_code in (await client.get("/api/v1/sessions")).text
