"""Form step events: a person reaching, completing or abandoning a step of a form, once per draft.

A flow records them through the store during a message's transaction; they are written when it
commits, in one statement with the transaction's others (PostgreSQL's save of a message writes
them in its own statement, `storage.turn_statements`). The staff's reports count them by path
(the chat, a native form) and channel.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.driver import Driver, DriverStatement
from storage.models import FormStepEvent
from storage.upsert import insert_for

_STEP_EVENTS = "bpu_step_events"


async def record_step_event(
    session: AsyncSession,
    *,
    draft_id: str,
    step: str,
    event: str,
    channel: str,
    now: datetime,
    contact_id: int | None = None,
    regency_code: str | None = None,
    path: str = "chat",
) -> None:
    """Counts a person reaching, completing or abandoning a step, once per draft.

    `path` is the way the form is being filled: "chat" (one question at a time), or a native
    form whose screens are its steps. The event is written when the transaction commits, with
    the transaction's other step events in one statement (a form message reaches one step as
    it completes another).
    """
    row = {
        "draft_id": draft_id,
        "contact_id": contact_id,
        "step": step,
        "event": event,
        "channel": channel,
        "at": now,
        "regency_code": regency_code,
        "path": path,
    }
    session.info.setdefault(_STEP_EVENTS, []).append(row)


STEP_EVENT_KEYS = ("draft_id", "contact_id", "step", "event", "channel", "at", "regency_code", "path")
"""The columns of a step event as `record_step_event` keeps it."""


@cache
def _step_event_insert(name: str, dialect: Dialect) -> DriverStatement:
    table = FormStepEvent.__table__  # type: ignore[attr-defined]
    stmt = insert_for(name, table).on_conflict_do_nothing(index_elements=["draft_id", "step", "event"])
    return DriverStatement.compile(stmt, dialect, STEP_EVENT_KEYS)


def take_step_events(session: Session) -> list[dict[str, Any]]:
    """The step events this transaction recorded and has not written yet; the caller writes them
    (PostgreSQL's save of a message does, in its one statement)."""
    rows: list[dict[str, Any]] = session.info.pop(_STEP_EVENTS, None) or []
    return rows


@sa_event.listens_for(Session, "before_commit")
def _write_step_events(session: Session) -> None:
    """Most messages of a form write one or two events: on the driver (`storage.driver`)."""
    rows = session.info.pop(_STEP_EVENTS, None)
    if rows:
        connection = session.connection()
        Driver(connection).many(_step_event_insert(connection.dialect.name, connection.dialect), rows)


@sa_event.listens_for(Session, "after_rollback")
def _drop_step_events(session: Session) -> None:
    session.info.pop(_STEP_EVENTS, None)


StepCounts = dict[str, dict[str, int]]
"""{step: {"reached": n, "completed": n, "abandoned": n}}, each counting people (drafts)."""


async def step_counts(
    session: AsyncSession, path: str = "chat", regencies: Collection[str] | None = None
) -> StepCounts:
    """The steps of one path (all channels together); see `path_counts` for `regencies`."""
    counts: StepCounts = {}
    for (found, _channel), steps in (await path_counts(session, regencies)).items():
        for step, events in steps.items() if found == path else ():
            total = counts.setdefault(step, {"reached": 0, "completed": 0, "abandoned": 0})
            for event, n in events.items():
                total[event] += n
    return counts


async def path_counts(
    session: AsyncSession, regencies: Collection[str] | None = None
) -> dict[tuple[str, str], StepCounts]:
    """The steps of each (path, channel): the chat's questions, a native form's screens.

    With `regencies`, only the drafts that named one of them as where the person lives (on any
    of their events): a draft that stopped before saying it belongs to no one's scope."""
    keys = (
        col(FormStepEvent.path),
        col(FormStepEvent.channel),
        col(FormStepEvent.step),
        col(FormStepEvent.event),
    )
    query = sa_select(*keys, func.count()).group_by(*keys)
    if regencies is not None:
        placed = select(FormStepEvent.draft_id).where(col(FormStepEvent.regency_code).in_(list(regencies)))
        query = query.where(col(FormStepEvent.draft_id).in_(placed))
    counts: dict[tuple[str, str], StepCounts] = {}
    for path, channel, step, event, n in (await session.exec(query)).all():  # type: ignore[call-overload]
        steps = counts.setdefault((path, channel), {})
        steps.setdefault(step, {"reached": 0, "completed": 0, "abandoned": 0})[event] = n
    return counts
