"""What the web app answers before any route's own logic: missing static files, security
headers, body limits, short 422s, the vendored API docs and the /metrics token. The real app
in-process over HTTP (httpx's ASGI transport), as a browser or a platform reaches it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

import pytest

from fakes.telegram_user import text_update
from tests.handlers.test_edge_input import SECRET, telegram_client
from tests.support.api_helpers import site
from tests.support.backoffice_helpers import seed
from tests.support.helpers import VAULT


async def test_missing_static_files_are_a_plain_404_without_a_traceback(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with site(db_url) as web, web.client() as client:
        for path in (
            "/staff/static/favicon.ico",
            "/staff/static/nope.css",
            "/staff/static/%00",
            "/staff/static/style.css%00",
            "/staff/static/..%5C..%5Cbot%5Csettings.py",
            "/staff/static/sub/style.css",
        ):
            answer = await client.get(path)
            assert answer.status_code == 404, (path, answer.text)
        assert (await client.get("/staff/static/style.css")).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_every_answer_carries_the_security_headers_and_api_answers_are_not_stored(db_url: str) -> None:
    async with site(db_url, cookie_secure=True) as web:
        web.office.vault = VAULT
        reference = await seed(web.service.db)
        token = await web.token_for("ani")
        async with web.client() as browser:
            page = await browser.get("/staff/login")
            assert page.headers["strict-transport-security"].startswith("max-age=")
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["x-content-type-options"] == "nosniff"
        async with web.client(token) as api:
            for answer in (
                await api.get("/api/v1/submissions"),
                await api.post(f"/api/v1/submissions/{reference}/nik"),  # the NIK reveal
                await api.get("/api/v1/submissions/NOPE-NOPE"),
            ):
                assert answer.headers["cache-control"] == "no-store", answer.request.url
                assert answer.headers["x-content-type-options"] == "nosniff"
                assert answer.headers["strict-transport-security"]
    async with site(db_url) as plain, plain.client() as browser:
        assert "strict-transport-security" not in (await browser.get("/staff/login")).headers


async def test_the_api_docs_load_nothing_from_elsewhere(db_url: str) -> None:
    async with site(db_url) as web, web.client() as client:
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assert "script-src 'self'" in docs.headers["content-security-policy"]
        sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert sources and all(source.startswith("/api/docs/") for source in sources), sources
        assert "<script>" not in docs.text  # no inline script: the policy forbids it
        for source in sources:
            asset = await client.get(source)
            assert (
                asset.status_code == 200 and b"SwaggerUIBundle" in asset.content
            ) or b"swagger-ui" in asset.content, source
        assert (await client.get("/openapi.json")).json()["paths"]


async def test_metrics_answer_only_the_token_when_one_is_set(db_url: str) -> None:
    async with site(db_url, metrics_token="prometheus-reads-this") as web, web.client() as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        good = await client.get("/metrics", headers={"Authorization": "Bearer prometheus-reads-this"})
        assert good.status_code == 200 and "bpu_database_up" in good.text
    async with site(db_url) as open_site, open_site.client() as client:
        assert (await client.get("/metrics")).status_code == 200


def _big_update(size: int) -> bytes:
    update = text_update(7001, 501, "halo")
    update["message"]["padding"] = "x" * size
    return json.dumps(update).encode()


async def test_a_webhook_with_the_right_secret_still_has_a_body_limit(db_url: str) -> None:
    async with telegram_client(db_url) as (client, _service):
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        big = await client.post("/webhook/telegram", content=_big_update(3 * 1024 * 1024), headers=headers)
        assert big.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read up to the limit only
            body = _big_update(3 * 1024 * 1024)
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        chunked = await client.post("/webhook/telegram", content=chunks(), headers=headers)
        assert chunked.status_code == 413
        small = await client.post("/webhook/telegram", content=_big_update(10), headers=headers)
        assert small.status_code == 200


async def test_every_route_has_a_body_limit(db_url: str) -> None:
    async with site(db_url) as web:
        token = await web.token_for("ani")
        body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        async with web.client(token) as client:
            for path in ("/api/v1/sessions", "/staff/login", "/webhook/whatsapp", "/api/v1/broadcasts"):
                answer = await client.post(path, content=body, headers={"Content-Type": "application/json"})
                assert answer.status_code == 413, path


async def test_a_malformed_api_call_answers_422_without_echoing_its_input(db_url: str) -> None:
    async with site(db_url) as web:
        web.office.vault = VAULT
        reference = await seed(web.service.db)
        token = await web.token_for("ani")
        async with web.client(token) as client:
            sent = {"status": ["x" * 400_000], "note": {"deep": "y" * 400_000}}
            answer = await client.post(f"/api/v1/submissions/{reference}/status", json=sent)
            assert answer.status_code == 422
            assert len(answer.content) < 2_000, len(answer.content)
            fields = [error["loc"][-1] for error in answer.json()["detail"]]
            assert "status" in fields
            short = await client.post(f"/api/v1/submissions/{reference}/status", json={"status": 5})
            assert short.status_code == 422
            assert any(error.get("input") == 5 for error in short.json()["detail"])
