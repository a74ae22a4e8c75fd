"""Test helpers: a settable clock and a chat driver over the real engine and database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet

from handlers.engine import Engine, Outcome
from handlers.types import Inbound, Reply
from storage.crypto import Vault
from storage.db import Database

_ids = itertools.count(1)

VAULT = Vault(Fernet.generate_key().decode())


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL of a PostgreSQL database as asyncpg connects to it directly."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def no_pace(_chat_id: str) -> None:
    """A transport tried on its own, outside the sender: no wait between the parts of a row."""


@dataclass
class FixedClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Chat:
    """Talks to the engine as one person and keeps what the bot answered."""

    db: Database
    engine: Engine
    chat_id: str = "6281234567890"
    channel: str = "test"
    history: list[Reply] = field(default_factory=list)

    def inbound(self, text: str | None = None, **fields: object) -> Inbound:
        values: dict[str, object] = {
            "channel": self.channel,
            "chat_id": self.chat_id,
            "message_id": f"m{next(_ids)}",
            "at": self.engine.clock(),
            "text": text,
        }
        values.update(fields)
        return Inbound(**values)  # type: ignore[arg-type]

    async def send(self, text: str | None = None, **fields: object) -> list[Reply]:
        outcome = await self.engine.handle(self.inbound(text, **fields))
        self.history.extend(outcome.replies)
        return list(outcome.replies)

    async def deliver(self, inbound: Inbound) -> Outcome:
        outcome = await self.engine.handle(inbound)
        self.history.extend(outcome.replies)
        return outcome

    async def say(self, text: str) -> str:
        """Sends a line and returns all reply texts joined, for assertions."""
        return "\n".join(r.text for r in await self.send(text))

    @property
    def last(self) -> Reply:
        return self.history[-1]

    def last_labels(self) -> list[str]:
        return [o.label for o in self.last.options]
