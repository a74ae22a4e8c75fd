"""Telegram settings and wiring: what enables which mode, and what is refused at start-up."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.service import build_service
from bot.settings import SettingsError, load_settings
from bot.web import create_app
from fakes.telegram_api import TOKEN

KEYS = {"secret_key": "k", "pii_encryption_key": Fernet.generate_key().decode()}


def settings(db_url: str, **values: object) -> object:
    return load_settings(database_url=db_url, telegram_bot_token=TOKEN, **KEYS, **values)


def test_a_malformed_token_or_secret_is_named(db_url: str) -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(database_url=db_url, telegram_bot_token="not-a-token", **KEYS)
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        settings(
            db_url, telegram_webhook_url="https://x.example/webhook/telegram", telegram_webhook_secret="a b"
        )


def test_a_webhook_needs_a_secret(db_url: str) -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        settings(db_url, telegram_webhook_url="https://x.example/webhook/telegram")


@pytest.mark.parametrize(("per_chat", "overall"), [(1.0, 30.0), (20.0, 25.0)])
def test_rate_limits_come_from_the_settings(db_url: str, per_chat: float, overall: float) -> None:
    service = build_service(
        settings(db_url, telegram_per_chat_per_second=per_chat, telegram_overall_per_second=overall)  # type: ignore[arg-type]
    )
    (transport,) = [t for t in service.transports if t.channel == "telegram"]
    assert transport.limits.overall_per_second == overall
    assert transport.limits.per_chat_interval == pytest.approx(1 / per_chat)


async def test_the_webhook_route_exists_only_in_webhook_mode(db_url: str) -> None:
    polling = create_app(build_service(settings(db_url)))  # type: ignore[arg-type]
    webhook = create_app(
        build_service(
            settings(  # type: ignore[arg-type]
                db_url,
                telegram_webhook_url="https://x.example/webhook/telegram",
                telegram_webhook_secret="right_secret",
            )
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=polling), base_url="http://t") as client:
        assert (await client.post("/webhook/telegram", json={})).status_code == 404
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook), base_url="http://t") as client:
        assert (await client.post("/webhook/telegram", json={"update_id": 1})).status_code == 401
        headers = {"X-Telegram-Bot-Api-Secret-Token": "right_secret"}
        assert (await client.post("/webhook/telegram", content=b"{", headers=headers)).status_code == 400
        assert (await client.post("/webhook/telegram", json={"x": 1}, headers=headers)).status_code == 400
        # An update of a kind the bot does not handle is accepted and ignored.
        assert (
            await client.post("/webhook/telegram", json={"update_id": 2}, headers=headers)
        ).status_code == 200


def test_without_a_token_telegram_is_off(db_url: str) -> None:
    service = build_service(load_settings(database_url=db_url, **KEYS))
    assert [c.name for c in service.channels] == []
