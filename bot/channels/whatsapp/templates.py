"""WhatsApp's 24-hour customer service window, and the templates that carry messages outside it.

Inside the window (24 hours from the person's last message) any message may be sent; outside it
only an approved template, named by `WHATSAPP_TEMPLATE_NOTIFICATION` (replies and
notifications) or `WHATSAPP_TEMPLATE_BROADCAST` (broadcasts). Without one, such a message waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pywa_async.types.templates import TemplateLanguage

from bot.settings import Settings
from handlers.types import Priority

WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=5)
"""Our clock notes an inbound a little after the person sent it: stop free-form a bit early."""

WINDOW_CLOSED_ERROR = 131047
"""The Cloud API's error when a free-form message finds the window closed."""

FORCE_TEMPLATE = "_force_template"
"""Set on a payload when WhatsApp reported the window closed (131047) after it was sent."""


@dataclass(frozen=True)
class TemplateConfig:
    name: str
    language: str
    variable: str
    """The environment variable that names it, for messages to the operator."""


def templates_from(settings: Settings) -> dict[int, TemplateConfig | None]:
    """Which template carries a message of each priority outside the window."""
    notification = (
        TemplateConfig(
            settings.whatsapp_template_notification,
            settings.whatsapp_template_notification_language,
            "WHATSAPP_TEMPLATE_NOTIFICATION",
        )
        if settings.whatsapp_template_notification
        else None
    )
    broadcast = (
        TemplateConfig(
            settings.whatsapp_template_broadcast,
            settings.whatsapp_template_broadcast_language,
            "WHATSAPP_TEMPLATE_BROADCAST",
        )
        if settings.whatsapp_template_broadcast
        else None
    )
    # A reply still unsent a day after the question is, by then, a notification.
    return {Priority.REPLY: notification, Priority.NOTIFICATION: notification, Priority.BROADCAST: broadcast}


AGENT_TEMPLATE = "agent"
"""`payload["template"]` of an officer's invitation to reply (dashboard.service.inbox.reply)."""


def agent_template(settings: Settings) -> TemplateConfig | None:
    """The template inviting a worker to reply to an officer (WHATSAPP_TEMPLATE_AGENT), if set."""
    if not settings.whatsapp_template_agent:
        return None
    return TemplateConfig(
        settings.whatsapp_template_agent, settings.whatsapp_template_agent_language, "WHATSAPP_TEMPLATE_AGENT"
    )


def template_for(settings: Settings, priority: int) -> TemplateConfig | None:
    return templates_from(settings).get(min(int(priority), int(Priority.BROADCAST)))


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


def template_language(config: TemplateConfig) -> TemplateLanguage:
    try:
        return TemplateLanguage(config.language)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{config.variable}_LANGUAGE: {config.language!r} is not a WhatsApp template language"
        ) from exc
