"""Wires the parts of the running service together: database, engine, sender, channels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.channels.base import Channel, ChannelContext, Transport
from bot.channels.registry import REGISTRY, Registration, catalogue, enabled_types, native_forms
from bot.metrics import Metrics
from bot.ratelimit import SlidingWindow
from bot.scheduler import DraftReminders, Scheduler
from bot.sender import OutboxSender
from bot.settings import Settings
from handlers.app import build_router
from handlers.attribution import AGENTS_FILE, load_agent_codes
from handlers.channels import Catalogue
from handlers.engine import Engine
from handlers.turn import Rules
from storage.crypto import Vault
from storage.db import Database
from storage.schema_version import is_up_to_date


def rules_from(settings: Settings, registry: Iterable[Registration] = REGISTRY) -> Rules:
    return Rules(
        draft_expiry_days=settings.draft_expiry_days,
        max_age_flag=settings.max_age_flag,
        callback_working_days=settings.callback_working_days,
        agent_handback_minutes=settings.agent_handback_minutes,
        agent_codes=load_agent_codes(settings.agent_codes_file or AGENTS_FILE),
        native_forms=native_forms(settings, registry),
    )


@dataclass
class Service:
    settings: Settings
    db: Database
    metrics: Metrics
    catalogue: Catalogue
    """Every channel staff may meet in stored data (enabled or not), for the staff side."""
    engine: Engine = field(init=False)
    channels: list[Channel] = field(default_factory=list)
    windows: dict[str, SlidingWindow] = field(default_factory=dict)
    """Each channel's overall rate window, shared by its sender and its other calls."""
    sender: OutboxSender | None = None
    scheduler: Scheduler | None = None

    @property
    def transports(self) -> list[Transport]:
        return [channel.transport for channel in self.channels]

    def sending(self) -> dict[str, bool]:
        """Each channel this process has a sender for: True while it sends, False on standby."""
        senders = self.sender.channels if self.sender is not None else {}
        return {channel: sender.leading for channel, sender in senders.items()}

    def standby(self) -> dict[str, dict[str, object]]:
        """Each channel this process stands by for: since when, and who sends if known."""
        senders = self.sender.channels if self.sender is not None else {}
        return {
            channel: {"since": sender.leadership.standby_since, "holder": sender.leadership.holder()}
            for channel, sender in senders.items()
            if not sender.leading
        }

    def start_sender(self) -> OutboxSender:
        self.sender = OutboxSender(self.db, self.transports, windows=self.windows)
        return self.sender

    def start_scheduler(self) -> Scheduler:
        """Reminders, follow-ups and broadcasts; wakes the sender when it queued something."""
        rules = self.engine.rules
        self.scheduler = Scheduler(
            self.db,
            quiet=self.settings.quiet,
            followup_days=self.settings.followup_days,
            wake=self.wake,
            drafts=DraftReminders(self.engine.vault, rules.draft_expiry_days, rules.native_forms),
            payments=self.engine.vault,
        )
        return self.scheduler

    def nudge_scheduler(self) -> None:
        """A round of the scheduler now (it writes a new broadcast's outbox rows)."""
        if self.scheduler is not None:
            self.scheduler.nudge()

    def wake(self, channel: str) -> None:
        if self.sender is not None:
            self.sender.wake(channel)

    async def deliver(self, channel: str, chat_id: str) -> None:
        """Sends a chat's due rows now (see `ChannelSender.deliver_now`)."""
        sender = self.sender or self.start_sender()
        await sender.channels[channel].deliver_now(chat_id)

    def _committed(self, channel: str) -> None:
        self.metrics.inbound.labels(channel, "processed").inc()
        self.wake(channel)

    async def close(self) -> None:
        """Closes every transport's connections, then the database's."""
        for transport in self.transports:
            await transport.aclose()
        await self.db.dispose()


class SchemaOutdated(Exception):
    """The database is not migrated to the schema this code expects."""


async def ensure_schema(db: Database) -> None:
    if not await is_up_to_date(db.engine):
        raise SchemaOutdated(
            f"the database schema is not up to date ({db.url.split('@')[-1]}): run `bpu-bot db upgrade`"
        )


def build_service(settings: Settings, registry: Iterable[Registration] = REGISTRY) -> Service:
    """The service with every channel of `registry` that the settings enable."""
    db = Database(settings.database_url)
    metrics = Metrics()
    registry = tuple(registry)
    service = Service(settings=settings, db=db, metrics=metrics, catalogue=catalogue(registry))
    service.engine = Engine(
        db,
        build_router(),
        vault=Vault(settings.pii_encryption_key),
        rules=rules_from(settings, registry),
        on_commit=service._committed,
    )
    for channel_type in enabled_types(settings, registry):
        name = channel_type.name
        limits = channel_type.limits(settings)
        window = service.windows[name] = SlidingWindow(max(1, int(limits.overall_per_second)))
        context = ChannelContext(
            settings=settings,
            db=db,
            engine=service.engine,
            metrics=metrics,
            limits=limits,
            window=window,
            wake=lambda name=name: service.wake(name),  # type: ignore[misc]
            deliver=lambda chat_id, name=name: service.deliver(name, chat_id),  # type: ignore[misc]
        )
        service.channels.append(channel_type.build(context))
    return service
