"""Prometheus metrics, on a registry owned by the app (no global state)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from storage import outbox
from storage.db import Database
from storage.retention import last_run
from storage.types import utcnow

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "bpu_inbound_messages",
            "Inbound messages by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "bpu_outbox_messages",
            "Outbox rows by channel and status",
            ["channel", "status"],
            registry=self.registry,
        )
        self.database_up = Gauge("bpu_database_up", "1 when the database answers", registry=self.registry)
        self.backlog = Gauge(
            "bpu_outbox_backlog",
            "Outbox rows still to deliver (pending or being sent), by channel",
            ["channel"],
            registry=self.registry,
        )
        self.sender_leading = Gauge(
            "bpu_sender_leading",
            "1 when this process sends the channel's outbox, 0 when it stands by (another process sends)",
            ["channel"],
            registry=self.registry,
        )
        self.retention_run = Gauge(
            "bpu_retention_last_run_timestamp_seconds",
            "When the retention purge last finished (any process, or bpu-bot purge), Unix time",
            registry=self.registry,
        )
        self.oldest = Gauge(
            "bpu_outbox_oldest_undelivered_seconds",
            "Age of the oldest outbox row still to deliver, by channel",
            ["channel"],
            registry=self.registry,
        )

    async def render(self, db: Database, senders: Mapping[str, bool] | None = None) -> bytes:
        """The metrics now; `senders`: whether this process sends each channel (`Service.sending`)."""
        self.sender_leading.clear()
        for channel, leading in (senders or {}).items():
            self.sender_leading.labels(channel).set(1 if leading else 0)
        up = await db.ping()
        self.database_up.set(1 if up else 0)
        if up:
            async with db.reader() as session:
                counts = await outbox.outbox_counts(session)
                backlog = await outbox.outbox_backlog(session, utcnow())
                retention = await last_run(session)
            self.retention_run.set(retention.finished_at.timestamp() if retention else 0)
            self.outbox.clear()
            for (channel, status), count in counts.items():
                self.outbox.labels(channel, status).set(count)
            self.backlog.clear()
            self.oldest.clear()
            for channel, (count, age) in backlog.items():
                self.backlog.labels(channel).set(count)
                self.oldest.labels(channel).set(round(age, 1))
        return generate_latest(self.registry)


class Delivery(Protocol):
    """What /healthz reads of the running service (`bot.service.Service`)."""

    @property
    def db(self) -> Database: ...

    def sending(self) -> Mapping[str, bool]:
        """Each channel this process has a sender for: True while it sends, False on standby."""
        ...


async def outbox_health(service: Delivery) -> dict[str, object]:
    """/healthz's view of delivery: the backlog per channel and whether this process sends it."""
    async with service.db.reader() as session:
        backlog = await outbox.outbox_backlog(session, utcnow())
    sending = service.sending()
    return {
        "outbox": {
            channel: {"undelivered": count, "oldest_seconds": round(age, 1)}
            for channel, (count, age) in backlog.items()
        },
        "sender": {channel: "sending" if leading else "standby" for channel, leading in sending.items()},
    }
