"""Prometheus metrics, on a registry owned by the app (no global state)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import outbox
from storage.db import Database
from storage.models import AuditLog, LoginThrottle
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
        self.login_failures = Gauge(
            "bpu_login_failures_recent",
            "Wrong staff passwords in the last 15 minutes (all processes, from the audit log)",
            registry=self.registry,
        )
        self.login_waits = Gauge(
            "bpu_login_waits",
            "Addresses, or account and address pairs, made to wait after wrong passwords, now",
            registry=self.registry,
        )
        self.oldest = Gauge(
            "bpu_outbox_oldest_undelivered_seconds",
            "Age of the oldest outbox row still to deliver, by channel",
            ["channel"],
            registry=self.registry,
        )

    def processed(self) -> float:
        """Inbound messages processed by this process so far, every channel."""
        return sum(
            sample.value
            for family in self.inbound.collect()
            for sample in family.samples
            if sample.name.endswith("_total") and sample.labels.get("outcome") == "processed"
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
                failures, waits = await login_pressure(session, utcnow())
            self.login_failures.set(failures)
            self.login_waits.set(waits)
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


async def login_pressure(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Wrong staff passwords in the last 15 minutes, and the keys waiting now (an attack shows as
    many of both; the alert BpuLoginAttack reads them)."""
    since = now - timedelta(minutes=15)
    failed = (
        select(func.count())
        .select_from(AuditLog)
        .where(col(AuditLog.action) == "login_failed", col(AuditLog.at) >= since)
    )
    waiting = select(func.count()).select_from(LoginThrottle).where(col(LoginThrottle.locked_until) > now)
    return int((await session.exec(failed)).one()), int((await session.exec(waiting)).one())


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


STALLED_AFTER = 120.0
"""Seconds the oldest undelivered row may wait while this process stands by before /healthz
says the sending process is not sending (it may be gone, or sending from another database)."""


def stalled_standby(health: dict[str, object], standby: Mapping[str, dict[str, object]]) -> dict[str, object]:
    """The channels this process stands by for while their oldest row waits past STALLED_AFTER,
    with who holds the lock (if known) and since when this process waits."""
    backlog = health.get("outbox")
    stalled: dict[str, object] = {}
    for channel, details in standby.items():
        waiting = backlog.get(channel) if isinstance(backlog, dict) else None
        oldest = waiting.get("oldest_seconds", 0) if isinstance(waiting, dict) else 0
        if isinstance(oldest, int | float) and oldest > STALLED_AFTER:
            stalled[channel] = {"oldest_seconds": oldest, **details}
    return stalled
