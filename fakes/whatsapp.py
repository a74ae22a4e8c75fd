"""Settings that enable the WhatsApp channel against the fake Graph API (fakes/graph_api.py)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet

from bot.settings import Settings, load_settings
from fakes import meta_webhooks as meta

FERNET_KEY = Fernet.generate_key().decode()


def whatsapp_env(db_url: str, api_url: str = "http://127.0.0.1:9", **extra: str) -> dict[str, str]:
    """The environment variables that enable WhatsApp against a fake Graph API."""
    return {
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PII_ENCRYPTION_KEY": FERNET_KEY,
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "WHATSAPP_API_URL": api_url,
        **extra,
    }


def whatsapp_settings(db_url: str, api_url: str = "http://127.0.0.1:9", **extra: Any) -> Settings:
    values = {k.lower(): v for k, v in whatsapp_env(db_url, api_url).items()}
    return load_settings(**{**values, **extra})
