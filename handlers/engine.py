"""The engine: one inbound message is one database transaction.

Record the platform message id (a redelivery changes nothing), lock and load the person's
conversation, run the router, save the new state and queue the replies in the outbox, commit.
The sender delivers after the commit. Messages from one person are applied one at a time, in
the order they reach the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.router import Router
from handlers.turn import Rules, Turn, resolve_choice
from handlers.types import Inbound, Reply, State
from messages.data import DEFAULT_LANGUAGE
from messages.render import render
from storage import chat, conversation
from storage.crypto import Vault
from storage.db import Database
from storage.errors import TransientError, is_transient
from storage.models import Contact
from storage.store import Store
from storage.text_guard import typed_text_ok
from storage.types import utcnow

log = logging.getLogger(__name__)

SHOWN_OPTIONS = "_options"

Work = Callable[[Turn], Awaitable[Any]]
"""What runs in a conversation's transaction instead of the router: a native form's request."""


@dataclass(frozen=True)
class Outcome:
    duplicate: bool
    replies: tuple[Reply, ...] = ()
    failed: bool = False
    result: Any = None
    """What the work returned (a native form's next screen), for its caller."""


class _ChatLocks:
    """One asyncio lock per chat, dropped when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._users: defaultdict[tuple[str, str], int] = defaultdict(int)

    def acquire(self, key: tuple[str, str]) -> _ChatLock:
        return _ChatLock(self, key)


class _ChatLock:
    def __init__(self, owner: _ChatLocks, key: tuple[str, str]) -> None:
        self.owner, self.key = owner, key

    async def __aenter__(self) -> None:
        self.owner._users[self.key] += 1
        lock = self.owner._locks.setdefault(self.key, asyncio.Lock())
        await lock.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        self.owner._locks[self.key].release()
        self.owner._users[self.key] -= 1
        if self.owner._users[self.key] == 0:
            del self.owner._users[self.key]
            del self.owner._locks[self.key]


class Engine:
    def __init__(
        self,
        db: Database,
        router: Router,
        *,
        vault: Vault,
        rules: Rules | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_commit: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.router = router
        self.vault = vault
        self.rules = rules or Rules()
        self.clock = clock
        self.on_commit = on_commit
        self._locks = _ChatLocks()
        self.redone = 0
        """Optimistic turns taken again in a transaction (`_transaction`)."""
        # At most as many transactions at once as the database can serve: the rest wait here,
        # in order, instead of timing out in the connection pool or on SQLite's write lock.
        self._slots = asyncio.Semaphore(db.max_concurrency)

    async def handle(self, inbound: Inbound, work: Work | None = None) -> Outcome:
        """Processes one message exactly once; returns the replies it queued.

        `work` runs in place of the router (a native form's request or completion), and what
        it returns is the outcome's `result`. An inbound without a platform message id is no
        message of the person's (a form asking for its next screen): it is neither recorded
        nor counted as the person writing, and an error in its work is raised to the caller.

        Raises TransientError when the database failed in passing (nothing was recorded: the
        caller answers 5xx or keeps the polling offset, and the message comes again).
        """
        async with self._locks.acquire((inbound.channel, inbound.chat_id)), self._slots:
            outcome = await self._classified(inbound, work)
        if outcome.replies and self.on_commit is not None:
            self.on_commit(inbound.channel)
        return outcome

    async def _classified(self, inbound: Inbound, work: Work | None) -> Outcome:
        try:
            return await self._transaction(inbound, work)
        except Exception as error:
            if not inbound.message_id and not is_transient(error):
                raise
            if is_transient(error):
                log.warning(
                    "%s message %s: database busy or away (%s), to be redelivered",
                    inbound.channel,
                    inbound.message_id,
                    type(error).__name__,
                )
                raise TransientError(type(error).__name__) from error
            # A bug must not leave the person in silence, nor make the platform redeliver
            # the same poison message forever: record it as processed and apologise.
            log.exception("handler failed on %s message %s", inbound.channel, inbound.message_id)
        try:
            return await self._apologise(inbound)
        except Exception as error:
            if is_transient(error):
                raise TransientError(type(error).__name__) from error
            raise

    async def _transaction(self, inbound: Inbound, work: Work | None = None) -> Outcome:
        """The turn, optimistic first where the database has such turns (PostgreSQL: two round
        trips instead of four); in a transaction, with the contact locked, when that one could
        not be saved as it ran (`conversation.TurnRedo`: nothing of it was written)."""
        try:
            return await self._turn(inbound, work, optimistic=True)
        except conversation.TurnRedo as redo:
            self.redone += 1
            log.debug(
                "%s message %s: taken again in a transaction (%s)", inbound.channel, inbound.message_id, redo
            )
            return await self._turn(inbound, work, optimistic=False)

    async def _turn(self, inbound: Inbound, work: Work | None, *, optimistic: bool) -> Outcome:
        now = self.clock()
        message = bool(inbound.message_id)
        message_id = inbound.message_id if message else None
        async with self.db.transaction(grouped=True) as session:
            # The contact and conversation, the message id recorded, held messages released
            # (an optimistic turn records and releases in its save).
            peeked = None
            if optimistic:
                peeked = await conversation.peek_turn(session, inbound.channel, inbound.chat_id, message_id)
            if peeked is not None:
                contact, saved, held, duplicate, peek = peeked
            else:
                peek = None
                contact, saved, held, duplicate = await conversation.open_turn(
                    session, inbound.channel, inbound.chat_id, message_id, now
                )
            assert contact.id is not None
            if duplicate:
                return Outcome(duplicate=True)
            # The stored data was decoded for this message alone: the flows may change it in place.
            state = State(saved.flow, saved.step, saved.data) if saved else State()
            shown = list(state.data.get(SHOWN_OPTIONS, []))
            turn = Turn(
                inbound=inbound,
                state=state,
                contact=contact,
                store=Store(session, self.rules.agent_codes),
                now=now,
                vault=self.vault,
                rules=self.rules,
                idle=now - saved.updated_at if saved else timedelta(0),
                first_message=contact.last_inbound_at is None,
                held=held,
                choice=resolve_choice(inbound, shown),
            )
            if message:
                contact.last_inbound_at = now
            if not typed_text_ok(inbound.text or ""):  # a NUL, a lone surrogate...: asked again, never kept
                turn.say("unreadable_text")
                result = None
            else:
                result = await (work or self.router.dispatch)(turn)
            transcript = self._transcript(contact, inbound, shown, turn.replies, now) if message else []
            self._remember_options(turn.state, turn.replies)
            await self._save(session, contact, turn.state, turn.replies, now, transcript, peek)
            return Outcome(duplicate=False, replies=tuple(turn.replies), result=result)

    async def _apologise(self, inbound: Inbound) -> Outcome:
        now = self.clock()
        async with self.db.transaction(grouped=True) as session:
            contact, _saved, _held, duplicate = await conversation.open_turn(
                session, inbound.channel, inbound.chat_id, inbound.message_id, now
            )
            if duplicate:
                return Outcome(duplicate=True)
            contact.last_inbound_at = now
            replies = [Reply(render("error", contact.language))]
            transcript = self._transcript(contact, inbound, [], replies, now)
            # The conversation stays as it was.
            await self._save(session, contact, None, replies, now, transcript)
            return Outcome(duplicate=False, replies=tuple(replies), failed=True)

    def _transcript(
        self, contact: Contact, inbound: Inbound, shown: list[list[str]], replies: list[Reply], now: datetime
    ) -> list[dict[str, Any]]:
        """The turn's messages as officers read them later (encrypted): what the person sent,
        then each reply."""
        assert contact.id is not None

        def seal(text: str) -> str:  # a lone surrogate (refused as an answer) is kept as "?"
            return self.vault.encrypt(text.encode("utf-8", "replace").decode("utf-8"))

        rows = []
        if (said := said_by(inbound, shown)) is not None:
            heard = chat.message_row(contact.id, "in", seal(said), now, channel_message_id=inbound.message_id)
            rows.append(heard)
        rows += [chat.message_row(contact.id, "out", seal(reply.text), now) for reply in replies]
        return rows

    @staticmethod
    def _remember_options(state: State, replies: list[Reply]) -> None:
        """Keeps the options last shown, so a typed number or label can pick one next time."""
        if replies:
            shown = next((r.options for r in reversed(replies) if r.options), ())
            state.data[SHOWN_OPTIONS] = [[o.id, o.label, *([o.key] if o.key else [])] for o in shown]

    @staticmethod
    async def _save(
        session: AsyncSession,
        contact: Contact,
        state: State | None,
        replies: list[Reply],
        now: datetime,
        transcript: list[dict[str, Any]],
        peek: conversation.Peek | None = None,
    ) -> None:
        outgoing = [(reply.to_payload(), int(reply.priority)) for reply in replies]
        stored = (state.flow, state.step, state.data) if state is not None else None
        await conversation.save_turn(session, contact, stored, outgoing, now, transcript, peek)


OFFICERS_LANGUAGE = DEFAULT_LANGUAGE
"""The kept conversation is read by officers: what it says for the person is in Indonesian."""


def said_by(inbound: Inbound, shown: list[list[str]]) -> str | None:
    """What the person sent, as an officer reads it: the text, the label of a pressed button,
    or what kind of thing came (a photo); None for what is no message (a form's request)."""
    if inbound.text:
        return inbound.text
    if inbound.option_id:
        label = next((entry[1] for entry in shown if entry[0] == inbound.option_id), None)
        return f"[{label or inbound.option_id}]"
    if inbound.phone:
        return inbound.phone
    if inbound.kind == "media":
        return "[" + render("chat_media_sent", OFFICERS_LANGUAGE) + "]"
    if inbound.fields is not None:
        return "[" + render("chat_form_sent", OFFICERS_LANGUAGE) + "]"
    return None
