"""Settings: names from DESIGN.md, generated local secrets, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DATABASE_URL",
        "PORT",
        "HOST",
        "SECRET_KEY",
        "PII_ENCRYPTION_KEY",
        "TELEGRAM_BOT_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_and_generated_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/bpu.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.telegram_api_url == "https://api.telegram.org"
    Fernet(settings.pii_encryption_key.encode())  # a usable key
    assert (tmp_path / "var" / "pii_encryption_key").exists()
    assert "PII_ENCRYPTION_KEY is not set" in caplog.text
    # The second start reuses them: encrypted data stays readable.
    again = load_settings()
    assert again.pii_encryption_key == settings.pii_encryption_key
    assert again.secret_key == settings.secret_key


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=9001\nTELEGRAM_BOT_TOKEN=123:abc\n")
    settings = load_settings()
    assert settings.port == 9001 and settings.telegram_enabled


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("PORT", "70000"), ("DATABASE_URL", "mysql://x"), ("PII_ENCRYPTION_KEY", "short")],
)
def test_malformed_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_whatsapp_refuses_to_start_without_app_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "123")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET"):
        load_settings()
