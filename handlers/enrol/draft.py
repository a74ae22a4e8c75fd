"""An enrolment in progress, kept in the conversation state between messages.

Answers that identify a person (the form's personal answers: NIK, name, phone...) are stored
encrypted, so the conversation table never holds them in clear.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.crypto import Vault

if TYPE_CHECKING:
    from handlers.turn import Turn

_SEALED = "sealed"
"""An encrypted answer that is not text: {"sealed": Fernet token of its JSON}."""


class Draft:
    def __init__(self, raw: dict[str, Any], vault: Vault, secret: frozenset[str]) -> None:
        self.raw = raw
        self.vault = vault
        self.secret = secret
        """The answers kept encrypted."""

    @classmethod
    def new(cls, now: datetime, vault: Vault, secret: frozenset[str]) -> Draft:
        stamp = now.isoformat()
        raw = {
            "id": uuid.uuid4().hex,
            "answers": {},
            "history": [],
            "fails": {},
            "created": stamp,
            "updated": stamp,
        }
        return cls(raw, vault, secret)

    @property
    def id(self) -> str:
        value: str = self.raw["id"]
        return value

    @property
    def answers(self) -> dict[str, Any]:
        value: dict[str, Any] = self.raw["answers"]
        return value

    @property
    def history(self) -> list[str]:
        value: list[str] = self.raw["history"]
        return value

    @property
    def updated(self) -> datetime:
        return datetime.fromisoformat(self.raw["updated"])

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.raw["created"])

    def touch(self, now: datetime) -> None:
        self.raw["updated"] = now.isoformat()

    def has(self, key: str) -> bool:
        return key in self.answers

    def get(self, key: str, default: Any = None) -> Any:
        value = self.answers.get(key, default)
        if key in self.secret and isinstance(value, str):
            return self.vault.decrypt(value)
        if key in self.secret and isinstance(value, dict) and _SEALED in value:
            return json.loads(self.vault.decrypt(value[_SEALED]))
        return value

    def set(self, key: str, value: Any) -> None:
        if key in self.secret and isinstance(value, str):
            value = self.vault.encrypt(value)
        elif key in self.secret and value is not None:  # a number (the income): sealed with its type
            value = {_SEALED: self.vault.encrypt(json.dumps(value))}
        self.answers[key] = value

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value)

    def decrypted(self) -> dict[str, Any]:
        """Every answer so far, readable."""
        return {key: self.get(key) for key in self.answers}

    def clear(self, *keys: str) -> None:
        for key in keys:
            self.answers.pop(key, None)

    def failures(self, step: str) -> int:
        return int(self.raw["fails"].get(step, 0))

    def failed(self, step: str) -> int:
        self.raw["fails"][step] = self.failures(step) + 1
        return self.failures(step)

    def succeeded(self, step: str) -> None:
        self.raw["fails"].pop(step, None)

    @property
    def extra(self) -> dict[str, Any]:
        """Flow bookkeeping that is not an answer (where to return after a detour)."""
        extra: dict[str, Any] = self.raw.setdefault("extra", {})
        return extra


async def record_step(turn: Turn, draft: Draft, step: str, event: str, *, path: str = "chat") -> None:
    """Counts a person reaching, completing or abandoning a step of the form (a native form's
    screen on its `path`), with where they live once the draft knows it (reports follow scope)."""
    await turn.store.record_step_event(
        draft_id=draft.id,
        step=step,
        event=event,
        channel=turn.inbound.channel,
        now=turn.now,
        contact_id=turn.contact.id,
        regency_code=draft.get("regency") if draft.has("regency") else None,
        path=path,
    )
