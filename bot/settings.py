"""Settings from environment variables and `.env`, with generated local secrets.

Names are the outside contract of DESIGN.md. A malformed value stops the program with a
message naming the variable; a missing secret is generated into `var/` with a warning.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.localtime import QuietHours
from storage.crypto import split_keys

log = logging.getLogger(__name__)

VAR_DIR = Path("var")


class SettingsError(Exception):
    """A setting has a value the program cannot use; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/bpu.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = ""
    pii_encryption_key: str = ""
    log_level: str = "INFO"

    telegram_bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_per_chat_per_second: float = Field(default=1.0, gt=0)
    telegram_overall_per_second: float = Field(default=30.0, gt=0)

    whatsapp_phone_number_id: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v23.0"
    whatsapp_per_second: float = Field(default=80.0, gt=0)
    whatsapp_per_chat_interval: float = Field(default=0.0, ge=0)
    # Approved message templates for messages outside the 24-hour customer service window.
    # Unset: such messages wait (outbox status "waiting") instead of failing.
    whatsapp_template_notification: str | None = None
    whatsapp_template_notification_language: str = "id"
    whatsapp_template_broadcast: str | None = None
    whatsapp_template_broadcast_language: str = "id"
    # An officer's message outside the window: the utility template inviting the worker to reply
    # (its {{1}} is the invitation); unset: the notification template carries the invitation.
    whatsapp_template_agent: str | None = None
    whatsapp_template_agent_language: str = "id"
    # The enrolment as a WhatsApp Flow (a form inside WhatsApp): the business private key its
    # data endpoint decrypts with (PEM text, or the path of a PEM file), its passphrase, and the
    # WhatsApp Business Account the Flow is published to (`bpu-bot whatsapp flow publish`).
    whatsapp_flow_private_key: str | None = None
    whatsapp_flow_key_passphrase: str | None = None
    whatsapp_business_account_id: str | None = None

    # The enrolment as a Telegram Mini App: its public HTTPS address (…/webapp/enrol).
    telegram_webapp_url: str | None = None

    # Socialization sessions and broadcasts.
    telegram_bot_username: str | None = None
    """For session links (t.me/<username>); read from Telegram (getMe) when unset."""
    whatsapp_display_number: str | None = None
    """For session links (wa.me/<number>); read from the Graph API when unset."""
    quiet_hours: str = "21:00-07:00"
    followup_days: int = Field(default=3, ge=0)

    # `bpu-bot chat`: the chat id the terminal talks as (its --user option).
    console_user: str = "console"

    # Enrolment rules an operator may tune.
    draft_expiry_days: int = Field(default=7, ge=1)
    max_age_flag: int = Field(default=65, ge=18)
    callback_working_days: int = Field(default=3, ge=1)
    agent_handback_minutes: int = Field(default=60, ge=1)
    agent_codes_file: Path | None = None
    """A TOML file of agent codes (the format of messages/agents.toml); unset: that file."""

    @field_validator("agent_codes_file")
    @classmethod
    def _agent_codes_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    # Staff web sessions: a signed cookie (SECRET_KEY), Secure when served over HTTPS only.
    cookie_secure: bool = False
    staff_idle_minutes: int = Field(default=480, ge=1)
    staff_session_hours: int = Field(default=12, ge=1)
    """A staff session ends this long after its log-in, however busy (besides the idle end)."""
    api_token_days: int = Field(default=90, ge=1)
    """An API token issued now stops working after this many days."""

    metrics_token: str | None = None
    """When set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`."""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"\d+:\S+", value):
            raise ValueError("must be the token BotFather gave, like 123456789:AAE...")
        return value or None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters: letters, digits, _ and - only (Telegram's rule)")
        return value or None

    @field_validator("whatsapp_api_version")
    @classmethod
    def _graph_version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", value):
            raise ValueError("must look like v23.0")
        return value

    @field_validator(
        "whatsapp_template_notification_language",
        "whatsapp_template_broadcast_language",
        "whatsapp_template_agent_language",
    )
    @classmethod
    def _template_language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", value):
            raise ValueError("must be a template language code such as id or en_US")
        return value

    @field_validator("whatsapp_flow_private_key")
    @classmethod
    def _flow_key(cls, value: str | None) -> str | None:
        """The PEM itself (its line breaks may be written as \\n), or the path of a PEM file."""
        value = (value or "").strip()
        if not value:
            return None
        if not value.startswith("-----BEGIN"):
            path = Path(value)
            if not path.is_file():
                raise ValueError("must be a PEM private key, or the path of a PEM file")
            value = path.read_text().strip()
        return value.replace("\\n", "\n")

    @field_validator("telegram_webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not re.fullmatch(r"https://\S+", value):
            raise ValueError(
                "must be the Mini App's public https:// address, like https://bot.example.id/webapp/enrol"
            )
        return value or None

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        QuietHours.parse(value)
        return value.strip()

    @field_validator("telegram_bot_username")
    @classmethod
    def _bot_username(cls, value: str | None) -> str | None:
        value = (value or "").strip().removeprefix("@")
        if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value):
            raise ValueError("must be the bot's username, like BpuDaftarBot")
        return value or None

    @field_validator("whatsapp_display_number")
    @classmethod
    def _display_number(cls, value: str | None) -> str | None:
        digits = re.sub(r"[\s+()-]", "", value or "")
        if digits and not re.fullmatch(r"\d{8,15}", digits):
            raise ValueError("must be the business number in international form, like 6281234567890")
        return digits or None

    @field_validator("pii_encryption_key")
    @classmethod
    def _fernet_key(cls, value: str) -> str:
        """One Fernet key, or several comma-separated, newest first (see `bpu-bot keys rotate`)."""
        for position, key in enumerate(split_keys(value), start=1):
            try:
                Fernet(key.encode())
            except ValueError as exc:
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes);"
                    " several keys are separated by commas, newest first"
                ) from exc
        return ",".join(split_keys(value))

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_phone_number_id and self.whatsapp_access_token)

    @property
    def whatsapp_flow_enabled(self) -> bool:
        """The Flow's data endpoint can decrypt (the form is offered on WhatsApp)."""
        return self.whatsapp_enabled and bool(self.whatsapp_flow_private_key)

    @property
    def telegram_webapp_enabled(self) -> bool:
        return self.telegram_enabled and bool(self.telegram_webapp_url)

    @property
    def quiet(self) -> QuietHours:
        return QuietHours.parse(self.quiet_hours)


def _generated_secret(name: str, make: Callable[[], str]) -> str:
    """Reads `var/<name>`, creating it with `make()` on first run."""
    path = VAR_DIR / name.lower()
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value: str = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    log.warning(
        "%s is not set: generated one into %s. Set it in the environment for any real deployment; "
        "losing %s makes encrypted data unreadable.",
        name.upper(),
        path,
        path,
    )
    return value


def _check_flow_key(pem: str, passphrase: str | None) -> None:
    """The Flow key must load (with its passphrase): a wrong one would refuse every form."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise SettingsError(
            "WHATSAPP_FLOW_PRIVATE_KEY: cannot be read as a PEM private key with WHATSAPP_FLOW_KEY_PASSPHRASE"
            f" ({exc})"
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise SettingsError("WHATSAPP_FLOW_PRIVATE_KEY: must be an RSA private key (WhatsApp Flows use RSA)")


def load_settings(**overrides: object) -> Settings:
    """Builds the settings, raising SettingsError that names the bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from exc
    if not settings.secret_key:
        settings.secret_key = _generated_secret("secret_key", lambda: secrets.token_urlsafe(48))
    if not settings.pii_encryption_key:
        settings.pii_encryption_key = _generated_secret(
            "pii_encryption_key", lambda: Fernet.generate_key().decode()
        )
    if settings.telegram_enabled and settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        raise SettingsError(
            "TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set, to authenticate the webhook"
        )
    if settings.whatsapp_flow_private_key:
        _check_flow_key(settings.whatsapp_flow_private_key, settings.whatsapp_flow_key_passphrase)
    if settings.whatsapp_enabled and not settings.whatsapp_app_secret:
        raise SettingsError(
            "WHATSAPP_APP_SECRET: required when WhatsApp is enabled, to verify X-Hub-Signature-256"
        )
    return settings
