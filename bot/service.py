"""Wires the parts of the running service together: database, engine, sender, channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.channels.base import Transport
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.sender import OutboxSender
from bot.settings import Settings
from handlers.app import build_router
from handlers.engine import Engine
from handlers.turn import Rules
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import is_up_to_date

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel


def rules_from(settings: Settings) -> Rules:
    return Rules(
        draft_expiry_days=settings.draft_expiry_days,
        max_age_flag=settings.max_age_flag,
        callback_working_days=settings.callback_working_days,
    )


@dataclass
class Service:
    settings: Settings
    db: Database
    metrics: Metrics
    engine: Engine = field(init=False)
    transports: list[Transport] = field(default_factory=list)
    sender: OutboxSender | None = None
    telegram: TelegramChannel | None = None

    def start_sender(self) -> OutboxSender:
        self.sender = OutboxSender(self.db, self.transports)
        return self.sender

    def start_scheduler(self) -> Scheduler:
        """Reminders, follow-ups and broadcasts; wakes the sender when it queued something."""
        sender = self.sender
        return Scheduler(
            self.db,
            quiet=self.settings.quiet,
            followup_days=self.settings.followup_days,
            wake=sender.wake if sender is not None else None,
        )

    def _committed(self, channel: str) -> None:
        self.metrics.inbound.labels(channel, "processed").inc()
        if self.sender is not None:
            self.sender.wake(channel)


class SchemaOutdated(Exception):
    """The database is not migrated to the schema this code expects."""


async def ensure_schema(db: Database) -> None:
    if not await is_up_to_date(db.engine):
        raise SchemaOutdated(
            f"the database schema is not up to date ({db.url.split('@')[-1]}): run `bpu-bot db upgrade`"
        )


def build_service(settings: Settings) -> Service:
    db = Database(settings.database_url)
    metrics = Metrics()
    service = Service(settings=settings, db=db, metrics=metrics)
    service.engine = Engine(
        db,
        build_router(),
        vault=Vault(settings.pii_encryption_key),
        rules=rules_from(settings),
        on_commit=service._committed,
    )
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp import WhatsAppTransport

        service.transports.append(WhatsAppTransport(settings))
    if settings.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        service.telegram = TelegramChannel(settings, service.engine, metrics)
        service.transports.append(service.telegram.transport)
    return service
