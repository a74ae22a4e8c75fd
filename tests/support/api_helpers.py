"""The real app in-process (`create_app`), a Backoffice over the same database and keys,
and HTTP clients that call the JSON API with an account's bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI

from bot.service import Service, build_service
from bot.settings import load_settings
from bot.web import create_app
from dashboard.service import Backoffice
from tests.support.backoffice_helpers import MADIUN, account

PII_KEY = Fernet.generate_key().decode()


@dataclass
class Site:
    app: FastAPI
    service: Service
    office: Backoffice

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bot.test", headers=headers
        )

    async def token_for(
        self, username: str, role: str = "staff", where: tuple[str, str, str] | None = MADIUN, **kw: object
    ) -> str:
        await account(self.office, username, role, where, **kw)  # type: ignore[arg-type]
        return await self.office.issue_token("test", username)


@asynccontextmanager
async def site(db_url: str, **extra: object) -> AsyncIterator[Site]:
    """`extra`: more settings (e.g. the fakes' URLs)."""
    settings = load_settings(
        database_url=db_url, pii_encryption_key=PII_KEY, secret_key="test-secret", **extra
    )
    service = build_service(settings)
    app = create_app(service)
    try:
        yield Site(app, service, app.state.backoffice)
    finally:
        await service.db.dispose()
