"""Macros: one click for a common step (dashboard/service/data/macros.toml).

"Sudah ditelepon dan tersambung": the call is recorded as reached with its note, the sign-up
moves to Dihubungi (when it is before that; a new one is taken by the officer first), and the
follow-up message goes in the worker's chat (instead of the status's own notice, which would
say something else), all in one transaction and audited like each step done by hand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import cases
from dashboard.service.access import Access
from dashboard.service.errors import InvalidInput
from dashboard.service.inbox import reply
from dashboard.service.inbox.reply import Sent
from dashboard.service.inbox.subject import subject_of
from dashboard.service.texts import refusal
from handlers.channels import Catalogue
from storage.crypto import Vault
from storage.models import OutboxMessage

MACROS_FILE = Path(__file__).parent.parent / "data" / "macros.toml"
BEFORE = {"dihubungi": ("baru", "diproses")}
"""The statuses a macro's status is reached from (a later status stays as it is)."""


@dataclass(frozen=True)
class Macro:
    id: str
    label: str
    call_outcome: str
    note: str
    message: str
    status: str | None = None


@cache
def macros() -> tuple[Macro, ...]:
    data = tomllib.loads(MACROS_FILE.read_text(encoding="utf-8"))
    return tuple(Macro(**entry) for entry in data["macro"])


def macro(macro_id: str) -> Macro:
    found = next((m for m in macros() if m.id == macro_id), None)
    if found is None:
        raise InvalidInput("macro", refusal("macro_unknown"))
    return found


async def run(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    channels: Catalogue,
    reference: str,
    step: Macro,
    *,
    now: datetime,
    quiet: timedelta,
) -> Sent:
    await cases.record_call(session, access, reference, step.call_outcome, now, note=step.note)
    submission = await cases.load(session, access, reference)
    if step.status and submission.status in BEFORE.get(step.status, ()):
        if submission.status == "baru":  # taken first, as "Saya tangani" does (baru → diproses)
            await cases.assign(session, access, reference, now)
        _, notified = await cases.change_status(session, access, reference, step.status, now, note=step.note)
        if notified:  # the macro's own message tells the worker; the status's notice would differ
            for pending in [row for row in session.new if isinstance(row, OutboxMessage)]:
                session.expunge(pending)
    subject = await subject_of(session, access, reference)
    return await reply.send(session, access, vault, channels, subject, step.message, now=now, quiet=quiet)
