"""Fuzzing with hypothesis: generated bodies to both webhooks (validly signed), and generated
answers at every step of the enrolment form.

Whatever arrives: no 5xx, no traceback, and the person can always continue (they get a
reply to the next thing they say). The default run tries a few hundred cases of each; the
slow run (CI=true, `make test-all`) at least 10,000 per webhook and per form run on SQLite
(1,000 on PostgreSQL), and prints
what it tried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.channels.cleaning import clean_fields
from bot.channels.whatsapp.signature import sign
from bot.service import Service, build_service
from bot.settings import load_settings
from bot.web import create_app
from fakes import meta_webhooks as meta
from fakes.whatsapp import whatsapp_env
from handlers.app import build_router
from handlers.engine import Engine
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage
from tests.conftest import RUN_SLOW
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import VAULT, Chat, FixedClock

# 10,000 cases each in CI's SQLite run; its PostgreSQL run repeats them with 1,000 (the webhook
# parsing and the conversation are the same code, and CI has 90 minutes for everything).
EXAMPLES = (1_000 if os.environ.get("TEST_DATABASE_URL") else 10_000) if RUN_SLOW else 200
SECRET = "fuzz-secret"
TG_PEOPLE = [9100 + i for i in range(8)]
WA_PEOPLE = [f"62811000000{i}" for i in range(8)]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RUN_SLOW,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Any character at all, lone surrogates and NULs included (json.dumps escapes them).
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
weird_text = st.one_of(
    st.text(any_char, max_size=40),
    st.sampled_from(["menu", "daftar", "1", "2", "ya", "tidak", "kirim", "hapus data", "/start x", "=1+1"]),
    st.text(st.sampled_from("0123456789 -+()."), max_size=20),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), weird_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(weird_text, inner, max_size=3),
    max_leaves=12,
)
valid_int = st.integers(min_value=1, max_value=2**31)
ints = st.one_of(valid_int, valid_int, valid_int, valid_int, st.integers(), weird_text)


def tg_user(user_id: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": user_id},
        optional={"is_bot": st.booleans() | scalars, "first_name": weird_text, "username": weird_text},
    )


def tg_message(user_id: Any) -> st.SearchStrategy[dict[str, Any]]:
    chat = st.fixed_dictionaries(
        {
            "id": user_id,
            "type": st.sampled_from(["private"] * 4 + ["group", "supergroup", "channel"]) | weird_text,
        }
    )
    return st.fixed_dictionaries(
        {"message_id": ints, "date": ints, "chat": chat},
        optional={
            "from": tg_user(user_id),
            "text": weird_text,
            "contact": st.fixed_dictionaries(
                {"phone_number": weird_text, "first_name": weird_text}, optional={"user_id": user_id | ints}
            ),
            "photo": json_values,
            "sticker": json_values,
            "location": json_values,
            "entities": json_values,
            "reply_to_message": json_values,
        },
    )


def tg_updates() -> st.SearchStrategy[Any]:
    """Loosely shaped updates (mostly refused as not an update), and well-formed ones whose
    texts, button data, names and contacts are generated (these reach the engine)."""
    person = st.sampled_from(TG_PEOPLE)
    well_formed = person.flatmap(
        lambda uid: st.fixed_dictionaries(
            {"update_id": valid_int},
            optional={
                "message": st.fixed_dictionaries(
                    {
                        "message_id": valid_int,
                        "date": valid_int,
                        "chat": st.just({"id": uid, "type": "private"}),
                        "from": st.fixed_dictionaries(
                            {"id": st.just(uid), "is_bot": st.just(False), "first_name": weird_text}
                        ),
                    },
                    optional={
                        "text": weird_text,
                        "contact": st.fixed_dictionaries(
                            {"phone_number": weird_text, "first_name": weird_text},
                            optional={"user_id": st.just(uid)},
                        ),
                    },
                ),
                "callback_query": st.fixed_dictionaries(
                    {
                        "id": weird_text,
                        "from": st.fixed_dictionaries(
                            {"id": st.just(uid), "is_bot": st.just(False), "first_name": weird_text}
                        ),
                        "chat_instance": weird_text,
                        "data": weird_text,
                    }
                ),
            },
        )
    )
    update = person.flatmap(
        lambda uid: st.fixed_dictionaries(
            {"update_id": ints},
            optional={
                "message": tg_message(st.just(uid)),
                "edited_message": tg_message(st.just(uid)),
                "callback_query": st.fixed_dictionaries(
                    {"id": weird_text, "from": tg_user(st.just(uid)), "chat_instance": weird_text},
                    optional={"data": weird_text, "message": tg_message(st.just(uid))},
                ),
                "poll": json_values,
            },
        )
    )
    return st.one_of(update, well_formed, well_formed, json_values)


def wa_bodies() -> st.SearchStrategy[Any]:
    sender = st.sampled_from(WA_PEOPLE) | weird_text
    kinds = (
        st.sampled_from(["text", "interactive", "button", "image", "audio", "reaction", "location"])
        | weird_text
    )
    message = st.fixed_dictionaries(
        {"from": sender, "id": weird_text, "type": kinds},
        optional={
            "timestamp": ints,
            "text": st.fixed_dictionaries({"body": weird_text}) | json_values,
            "interactive": st.fixed_dictionaries(
                {"type": st.sampled_from(["button_reply", "list_reply"]) | weird_text},
                optional={
                    "button_reply": st.fixed_dictionaries({"id": weird_text, "title": weird_text}),
                    "list_reply": st.fixed_dictionaries({"id": weird_text, "title": weird_text}),
                },
            ),
            "button": st.fixed_dictionaries({"text": weird_text}, optional={"payload": weird_text}),
            "audio": json_values,
        },
    )
    status = st.fixed_dictionaries(
        {"id": weird_text, "status": st.sampled_from(["sent", "delivered", "read", "failed"]) | weird_text},
        optional={"errors": json_values},
    )
    value = st.fixed_dictionaries(
        {"messaging_product": st.just("whatsapp")},
        optional={
            "metadata": st.fixed_dictionaries(
                {"phone_number_id": st.just(meta.PHONE_NUMBER_ID) | weird_text}
            ),
            "contacts": st.lists(
                st.fixed_dictionaries(
                    {"wa_id": sender, "profile": st.fixed_dictionaries({"name": weird_text})}
                ),
                max_size=2,
            ),
            "messages": st.lists(message, max_size=3),
            "statuses": st.lists(status, max_size=2),
        },
    )
    body = st.fixed_dictionaries(
        {
            "object": st.just("whatsapp_business_account") | weird_text,
            "entry": st.lists(
                st.fixed_dictionaries(
                    {
                        "id": weird_text,
                        "changes": st.lists(
                            st.fixed_dictionaries(
                                {"field": st.just("messages") | weird_text, "value": value}
                            ),
                            max_size=2,
                        ),
                    }
                ),
                max_size=2,
            ),
        }
    )
    return st.one_of(body, body, body, json_values)


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()  # ensure_ascii: lone surrogates become \\udXXX escapes


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as run:
        yield run


def service_for(db_url: str) -> Service:
    env = {k.lower(): v for k, v in whatsapp_env(db_url).items()}
    return build_service(
        load_settings(
            **env,
            telegram_bot_token="123456:FUZZ",
            telegram_api_url="http://127.0.0.1:9",
            telegram_webhook_url="https://bot.example/webhook/telegram",
            telegram_webhook_secret=SECRET,
        )
    )


class Tracebacks(logging.Handler):
    """Counts log records that carry a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    handler = Tracebacks()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def _outbox_count(db: Database) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxMessage))).one())


def test_fuzzed_webhook_bodies(db_url: str, runner: asyncio.Runner, tracebacks: Tracebacks) -> None:
    service = service_for(db_url)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(service)), base_url="http://bot.test"
    )
    answers: dict[str, Counter[int]] = {"telegram": Counter(), "whatsapp": Counter()}

    async def post_tg(body: bytes) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        return (await client.post("/webhook/telegram", content=body, headers=headers)).status_code

    async def post_wa(body: bytes) -> int:
        headers = {"X-Hub-Signature-256": sign(meta.APP_SECRET, body)}
        return (await client.post("/webhook/whatsapp", content=body, headers=headers)).status_code

    def fuzz(channel: str, bodies: st.SearchStrategy[Any], post: Any) -> None:
        @FUZZ_SETTINGS
        @given(body=bodies | st.binary(max_size=64))
        def one(body: Any) -> None:
            raw = body if isinstance(body, bytes) else encode(body)
            status = runner.run(post(raw))
            answers[channel][status] += 1
            assert status < 500, raw[:300]

        one()

    async def everyone_continues() -> None:
        """Each fuzzed person still gets an answer to "menu" on both channels.

        The ids are above any the well-formed updates were drawn from (at most 2**31). Hypothesis
        also draws the integers it finds in the project's source (`MAX_MONTHLY_INCOME`'s
        1,000,000,000 among them): of 20,000 updates drawn, 2 had both ids 10**9, the ids this
        check used. Sent by the same person, that update made this "menu" a duplicate, rightly
        left unanswered: a CI run failed so ("telegram 9100 got no answer")."""
        for index, user_id in enumerate(TG_PEOPLE):
            before = await _outbox_count(service.db)
            update = {
                "update_id": 2**31 + 1 + index,
                "message": {
                    "message_id": 2**31 + 1 + index,
                    "date": 1763700000,
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": user_id, "is_bot": False, "first_name": "X"},
                    "text": "menu",
                },
            }
            assert await post_tg(encode(update)) == 200
            assert await _outbox_count(service.db) > before, f"telegram {user_id} got no answer"
        for wa_id in WA_PEOPLE:
            before = await _outbox_count(service.db)
            assert await post_wa(encode(meta.from_person(wa_id, meta.text(wa_id, "menu")))) == 200
            assert await _outbox_count(service.db) > before, f"whatsapp {wa_id} got no answer"

    try:
        fuzz("telegram", tg_updates(), post_tg)
        fuzz("whatsapp", wa_bodies(), post_wa)
        runner.run(everyone_continues())
    finally:
        runner.run(client.aclose())
        for channel in service.transports:
            runner.run(channel.aclose())
        runner.run(service.db.dispose())
    print(
        f"\nfuzzed webhooks: telegram {sum(answers['telegram'].values())} bodies "
        f"{dict(answers['telegram'])}, whatsapp {sum(answers['whatsapp'].values())} bodies "
        f"{dict(answers['whatsapp'])}, {len(tracebacks.records)} tracebacks"
    )
    assert sum(answers["telegram"].values()) >= EXAMPLES and sum(answers["whatsapp"].values()) >= EXAMPLES
    assert tracebacks.records == [], [r.getMessage() for r in tracebacks.records[:3]]


def answers_at_a_step() -> st.SearchStrategy[tuple[int, dict[str, Any]]]:
    answer = st.one_of(
        weird_text.map(lambda t: {"kind": "text", "text": t}),
        st.sampled_from(HAPPY).map(lambda t: {"kind": "text", "text": t}),
        weird_text.map(lambda t: {"kind": "option", "option_id": t}),
        st.sampled_from(["enrol.period.1200", "enrol.regency.=HYPERLINK(1)", "menu.enrol", "enrol.send"]).map(
            lambda t: {"kind": "option", "option_id": t}
        ),
        weird_text.map(lambda t: {"kind": "contact", "phone": t}),
        st.sampled_from(["photo", "voice", "sticker"]).map(lambda t: {"kind": "media", "media_type": t}),
        weird_text.map(lambda t: {"kind": "start", "start_payload": t}),
    )
    return st.tuples(st.integers(min_value=1, max_value=len(HAPPY)), answer)


def test_fuzzed_answers_at_every_form_step(
    db_url: str, runner: asyncio.Runner, tracebacks: Tracebacks
) -> None:
    """People parked at each step of the form get generated answers; each time the answer gets
    a reply (never the apology for a bug), and so does what they say next."""
    db = Database(db_url)
    engine = Engine(
        db, build_router(), vault=VAULT, clock=FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    )
    parked: dict[int, tuple[Chat, dict[str, Any]]] = {}
    tried: Counter[int] = Counter()

    async def park() -> None:
        for step in range(1, len(HAPPY) + 1):
            chat = Chat(db, engine, chat_id=f"fuzz-step-{step}")
            for line in HAPPY[:step]:
                await chat.send(line)
            parked[step] = (chat, await snapshot(chat))

    async def snapshot(chat: Chat) -> dict[str, Any]:
        async with db.reader() as session:
            contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
            conversation = await session.get(Conversation, contact.id)
            assert conversation is not None
            return {
                "contact_id": contact.id,
                "flow": conversation.flow,
                "step": conversation.step,
                "data": conversation.data,
            }

    async def restore(saved: dict[str, Any]) -> None:
        async with db.transaction() as session:
            conversation = await session.get(Conversation, saved["contact_id"])
            assert conversation is not None
            conversation.flow, conversation.step = saved["flow"], saved["step"]
            conversation.data = json.loads(json.dumps(saved["data"]))

    async def one(step: int, answer: dict[str, Any]) -> None:
        chat, saved = parked[step]
        outcome = await engine.handle(clean_fields(chat.inbound(**{"text": None, **answer})))
        assert not outcome.failed and outcome.replies, (step, answer)
        follow = await engine.handle(chat.inbound(HAPPY[min(step, len(HAPPY) - 1)]))
        assert not follow.failed and follow.replies, (step, answer)
        await restore(saved)

    runner.run(park())

    @FUZZ_SETTINGS
    @given(case=answers_at_a_step())
    # Found by CI's long run: an income of 27 digits overflowed the parsing library's decimals.
    @example(case=(9, {"kind": "text", "text": "100000000000000100000000000"}))
    def form(case: tuple[int, dict[str, Any]]) -> None:
        step, answer = case
        tried[step] += 1
        runner.run(one(step, answer))

    try:
        form()
    finally:
        runner.run(db.dispose())
    print(f"\nfuzzed answers: {sum(tried.values())} at form steps {dict(sorted(tried.items()))}")
    assert sum(tried.values()) >= EXAMPLES and len(tried) == len(HAPPY)
    assert tracebacks.records == [], [r.getMessage() for r in tracebacks.records[:3]]
