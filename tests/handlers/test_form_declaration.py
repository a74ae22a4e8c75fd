"""The form is declared once: a new field is one declaration, and everything else follows.

A made-up optional field (a nickname, personal data) is added to the real form in one line;
the enrolment asks it, the summary shows it, "ubah" changes it, the submission keeps it
encrypted, the export has its column, "data saya" lists it and "hapus data" erases it; the
WhatsApp Flow and the Telegram Mini App show it, and the form path reads it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlmodel import select

from bot.channels.telegram.webapp import page
from bot.channels.whatsapp.flow_json import flow_json
from dashboard.service import Access, Backoffice, QueueFilters
from handlers.app import build_router
from handlers.engine import Engine
from handlers.enrol.fields import FORM
from handlers.enrol.flow import EnrolFlow
from handlers.enrol.form import Field
from handlers.enrol.steps.step import text_step
from handlers.parsed import Parsed
from handlers.price import PRICE
from handlers.types import Inbound
from storage.db import Database
from storage.models import Submission
from tests.handlers.test_enrol_flow import HAPPY
from tests.handlers.test_native_form import CONTACT
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.helpers import VAULT, Chat, FixedClock


def parse_nickname(text: str) -> Parsed[str]:
    name = " ".join(text.split())
    return Parsed(value=name) if 2 <= len(name) <= 40 else Parsed(error="length")


# The one declaration, asked right after the e-mail (in fields.py it is one line of FORM).
NICKNAME = Field(
    "nickname",
    (text_step("nickname", parse_nickname, optional=True),),
    personal=("nickname",),
    label="Nama panggilan",
)
_AFTER_EMAIL = [f.name for f in FORM.fields].index("email") + 1
WITH_NICKNAME = replace(FORM, fields=(*FORM.fields[:_AFTER_EMAIL], NICKNAME, *FORM.fields[_AFTER_EMAIL:]))


async def stored(db: Database) -> Submission:
    async with db.reader() as session:
        return (await session.exec(select(Submission))).one()


async def test_a_made_up_optional_field_is_one_declaration(db: Database, clock: FixedClock) -> None:
    chat = Chat(db, Engine(db, build_router(WITH_NICKNAME), vault=VAULT, clock=clock))
    for line in HAPPY:
        await chat.say(line)
    # Asked, numbered among the questions, skippable.
    assert "nama panggilan" in chat.last.text and "dari 11" in chat.last.text
    assert chat.last_labels() == ["Lewati"]
    assert "belum bisa kami pakai" in await chat.say("x")  # its parser's error, kindly
    summary = await chat.say("Sri")
    assert "Nama panggilan: Sri" in summary

    # Edited from the summary.
    await chat.say("ubah")
    assert "Nama panggilan" in chat.last_labels()
    assert "nama panggilan" in await chat.say("Nama panggilan")
    assert "Nama panggilan: Yuni" in await chat.say("Yuni")
    await chat.say("kirim")
    await chat.say("2")  # no announcements

    # Kept encrypted in the submission, exported, shown in "data saya".
    submission = await stored(db)
    assert "Yuni" not in json.dumps(submission.answers)
    assert VAULT.decrypt(submission.answers["nickname"]) == "Yuni"
    office = Backoffice(db, VAULT, CATALOGUE, form=WITH_NICKNAME)
    exported = await office.export(Access.operator("test"), QueueFilters(), "json")
    assert json.loads(exported)[0]["nickname"] == "Yuni"
    assert "Nama panggilan: Yuni" in await chat.say("data saya")

    # Erased by "hapus data".
    await chat.say("hapus data")
    assert "sudah kami hapus" in await chat.say("ya")
    assert "nickname" not in (await stored(db)).answers
    assert "Yuni" not in await chat.say("data saya")


async def test_skipping_the_optional_field(db: Database, clock: FixedClock) -> None:
    chat = Chat(db, Engine(db, build_router(WITH_NICKNAME), vault=VAULT, clock=clock))
    for line in HAPPY:
        await chat.say(line)
    assert "Nama panggilan: -" in await chat.say("lewati")
    await chat.say("kirim")
    assert {k: v for k, v in (await stored(db)).answers.items() if k != PRICE} == {"nickname": None}


async def test_the_made_up_field_is_in_the_flow_and_the_mini_app_too(db: Database, clock: FixedClock) -> None:
    """The same one declaration: the WhatsApp Flow and the Telegram Mini App show it (next to
    the field declared before it), and the form path reads it with its own parser."""
    flow = flow_json(WITH_NICKNAME)
    (contact,) = [s for s in flow["screens"] if s["id"] == "CONTACT"]
    (nickname,) = [c for c in contact["layout"]["children"] if c.get("name") == "nickname"]
    assert nickname["type"] == "TextInput" and nickname["label"] == "Nama panggilan"
    assert nickname["required"] is False  # optional: "Lewati" in the chat
    assert "nickname" not in json.dumps(flow_json())

    engine = Engine(db, build_router(WITH_NICKNAME), vault=VAULT, clock=clock)
    enrol = engine.router.flows["enrol"]
    assert isinstance(enrol, EnrolFlow)
    html = page(enrol.native)
    assert 'name="nickname"' in html and "Nama panggilan" in html

    async def contact_screen(nickname: str) -> Any:
        inbound = Inbound(channel="test", chat_id="62811", message_id="", at=clock(), kind="form")
        values = {**CONTACT, "nickname": nickname}
        return (
            await engine.handle(inbound, lambda turn: enrol.native.submit(turn, "contact", values))
        ).result

    await contact_screen("")
    refused = await contact_screen("x")
    assert refused.screen.id == "contact" and "belum bisa kami pakai" in refused.errors["nickname"]
    taken = await contact_screen("Sri")
    assert taken.screen.id == "work" and "nickname" not in taken.errors
