"""The report's tables of the ways a form is filled: the chat (a question at a time) and the
native forms (a WhatsApp Flow, the Telegram Mini App, a screen at a time).

- `by_path`: the caller's submissions by way and channel, with how many messages a person sent
  from the start of the draft to the submission (median and mean);
- `funnel_by_path`: for each way and channel, how many people reached, finished and left each
  step: the chat's questions; a form's opening, its screens, and its sending (all branches, as
  drafts carry no branch yet, like the chat's drop-off).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access, scope_figures
from handlers.channels import Catalogue
from handlers.enrol.fields import FORM
from handlers.enrol.native import OPENED, SENT
from handlers.enrol.screens import build_screens, title
from storage.models import Submission
from storage.step_events import path_counts

PATHS = {"chat": "Chat, satu per satu", "form": "Formulir sekaligus", "chat+form": "Chat lalu formulir"}
FORM_STEPS = {OPENED: "Formulir dibuka", SENT: "Formulir terkirim"}


def _path(code: str | None) -> str:
    return PATHS.get(code or "chat", code or "chat")


async def by_path(
    session: AsyncSession, access: Access, channels: Catalogue, since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    """(way, channel, submissions, median messages, mean messages), in the caller's scope."""
    query = scope_figures(
        sa_select(col(Submission.enrol_path), col(Submission.channel), col(Submission.messages_to_enrol)),
        access,
    ).where(col(Submission.created_at) >= since, col(Submission.created_at) < until)
    counts: defaultdict[tuple[str, str], list[int | None]] = defaultdict(list)
    for path, channel, messages in (await session.exec(query)).all():  # type: ignore[call-overload]
        counts[(path or "chat", channel)].append(messages)
    rows = []
    for (path, channel), found in sorted(counts.items()):
        known = [n for n in found if n is not None]
        median = statistics.median(known) if known else None
        mean = round(statistics.fmean(known), 1) if known else None
        rows.append((_path(path), channels.display(channel), len(found), median, mean))
    return rows


async def funnel_by_path(session: AsyncSession, channels: Catalogue) -> list[tuple[Any, ...]]:
    """(way, channel, step, reached, completed, abandoned), steps in the order they come."""
    screens = {f"screen.{s.id}": f"Layar: {title(s, 'id')}" for s in build_screens(FORM)}
    chat_order = [s.name for s in FORM.steps] + ["summary"]
    form_order = [OPENED, *screens, SENT]
    rows: list[tuple[Any, ...]] = []
    for (path, channel), steps in sorted((await path_counts(session)).items()):
        order = form_order if path == "form" else chat_order
        names = [n for n in order if n in steps] + sorted(set(steps) - set(order))
        label = {**FORM_STEPS, **screens}
        for name in names:
            events = steps[name]
            shown = label.get(name, name)
            rows.append(
                (
                    _path(path),
                    channels.display(channel),
                    shown,
                    events["reached"],
                    events["completed"],
                    events["abandoned"],
                )
            )
    return rows
