"""Prometheus metrics, on a registry owned by the app (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from storage import queries
from storage.db import Database

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

    async def render(self, db: Database) -> bytes:
        up = await db.ping()
        self.database_up.set(1 if up else 0)
        if up:
            async with db.reader() as session:
                counts = await queries.outbox_counts(session)
            self.outbox.clear()
            for (channel, status), count in counts.items():
                self.outbox.labels(channel, status).set(count)
        return generate_latest(self.registry)
