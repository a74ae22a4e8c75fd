"""The form path next to the chat, on the engine and a real database (no platform).

Where the channel shows a native form the enrolment offers it; "formulir" asks for it at any
time; elsewhere the chat goes on. The form and the chat fill one draft: begun in one, it goes
on in the other. Screens are read with the chat's own steps: a region found by name, a NIK
already registered, an applicant under 18, all answered on the field concerned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlmodel import select

from dashboard.service import Access, Backoffice
from handlers.app import build_router
from handlers.engine import Engine, Work
from handlers.enrol.flow import EnrolFlow
from handlers.enrol.native import Completed, Finished, NativeForm, Refused, View
from handlers.turn import Rules
from handlers.types import Inbound
from storage.db import Database
from storage.form_models import FormToken
from storage.models import Conversation, Submission
from tests.conftest import TEST_AGENT_CODES
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.helpers import VAULT, Chat, FixedClock

NIK = "3574015505900001"
IDENTITY = {"nik": NIK, "full_name": "Siti Aminah", "birth_date": "1990-05-15"}
CONTACT = {
    "phone": "0812-3456-7890",
    "regency": "35.74",
    "district": "35.74.01",
    "address": "Jl. Mawar 5 RT 2 RW 3, Kademangan",
    "current_address": "",
    "email": "",
}


@pytest.fixture
def native_forms() -> frozenset[str]:
    return frozenset({"test"})  # the test channel shows the form


def native(engine: Engine) -> NativeForm:
    enrol = engine.router.flows["enrol"]
    assert isinstance(enrol, EnrolFlow)
    return enrol.native


async def form(engine: Engine, chat: Chat, work: Work) -> Any:
    """One request of the native form, in the chat's conversation."""
    inbound = Inbound(
        channel=chat.channel, chat_id=chat.chat_id, message_id="", at=engine.clock(), kind="form"
    )
    outcome = await engine.handle(inbound, work)
    chat.history.extend(outcome.replies)
    return outcome.result


async def submit(engine: Engine, chat: Chat, screen: str, values: Mapping[str, Any]) -> View | Finished:
    result = await form(engine, chat, lambda turn: native(engine).submit(turn, screen, values))
    assert isinstance(result, View | Finished)
    return result


async def begin_in_the_form(chat: Chat, engine: Engine, identity: Mapping[str, Any]) -> View | Finished:
    """Asks for the form in the chat, opens it, consents, and sends the identity screen."""
    await chat.say("daftar")
    await chat.say("Formulir sekaligus")
    await form(engine, chat, native(engine).open)
    await submit(engine, chat, "consent", {"consent": True})
    return await submit(engine, chat, "identity", identity)


async def test_the_chat_offers_the_form_and_formulir_asks_for_it(chat: Chat, db: Database) -> None:
    await chat.say("daftar")
    assert chat.last_labels() == ["Formulir sekaligus", "Tanya satu per satu"]
    await chat.say("Tanya satu per satu")
    assert "setuju" in chat.last.text.lower()  # the consent: the chat goes on
    replies = await chat.send("formulir")
    assert replies[-1].form is not None and replies[-1].form.button == "Isi formulir"
    async with db.reader() as session:
        (token,) = (await session.exec(select(FormToken))).all()
    assert token.channel == "test" and token.expires_at > token.issued_at
    assert "setuju" in await chat.say("lanjut")  # anything else: the chat asks again


async def test_without_a_form_the_chat_goes_on(db: Database, clock: FixedClock) -> None:
    engine = Engine(db, build_router(), vault=VAULT, clock=clock, rules=Rules(agent_codes=TEST_AGENT_CODES))
    chat = Chat(db, engine)
    assert "setuju" in (await chat.say("daftar")).lower()  # no offer: straight to the consent
    text = await chat.say("formulir")
    assert "belum bisa dibuka di sini" in text and "setuju" in text.lower()
    assert all(reply.form is None for reply in chat.history)


async def test_a_draft_begun_in_the_chat_opens_in_the_form(chat: Chat, engine: Engine) -> None:
    for line in ("daftar", "Tanya satu per satu", "setuju", NIK, "siti aminah"):
        await chat.say(line)
    view = await form(engine, chat, native(engine).open)
    assert view.screen.id == "consent" and view.values == {"consent": True}
    view = await submit(engine, chat, "consent", {"consent": True})
    assert isinstance(view, View) and view.values["nik"] == NIK and view.values["full_name"] == "Siti Aminah"
    assert view.values["birth_date"] == ""


async def test_a_draft_begun_in_the_form_goes_on_in_the_chat(
    chat: Chat, engine: Engine, db: Database
) -> None:
    view = await begin_in_the_form(chat, engine, IDENTITY)
    assert isinstance(view, View) and view.screen.id == "contact"
    # Typing instead of using the form: the chat asks the first question the form left open.
    assert "nomor HP" in await chat.say("daftar")
    for line in ("0812-3456-7890", "ya", "Jl. Mawar 5 RT 2 RW 3", "2", "2jt", "1", "1", "lewati"):
        await chat.say(line)
    assert "Siti Aminah" in chat.last.text
    await chat.say("kirim")
    async with db.reader() as session:
        (submission,) = (await session.exec(select(Submission))).all()
    assert submission.enrol_path == "chat+form" and submission.messages_to_enrol == 12  # 2 + 1 + 8 + kirim


async def test_a_region_found_by_name_and_a_district_to_choose(chat: Chat, engine: Engine) -> None:
    await form(engine, chat, native(engine).open)
    await submit(engine, chat, "consent", {"consent": True})
    await submit(engine, chat, "identity", IDENTITY)
    view = await submit(engine, chat, "contact", {**CONTACT, "region_search": "madiun"})
    assert isinstance(view, View) and view.screen.id == "contact" and "beberapa" in view.errors["regency"]
    assert {"35.19", "35.77"} <= {c.id for c in view.options["regency"]}  # Kab. and Kota Madiun
    view = await submit(engine, chat, "contact", {**CONTACT, "region_search": "kota madiun"})
    assert isinstance(view, View) and view.values["regency"] == "35.77"
    assert "kecamatan" in view.errors["district"].lower()  # the chat's question, on its field
    assert {c.title for c in view.options["district"]} >= {"Kec. Kartoharjo"}
    view = await submit(engine, chat, "contact", {**CONTACT, "regency": "35.77", "district": "35.77.03"})
    assert isinstance(view, View) and view.screen.id == "work"  # no current address: the KTP's


async def test_a_registered_nik_and_a_minor_are_answered_on_their_field(
    chat: Chat, engine: Engine, db: Database
) -> None:
    async with db.transaction() as session:
        session.add(_submission(VAULT.keyed_hash(NIK)))
    await form(engine, chat, native(engine).open)
    await submit(engine, chat, "consent", {"consent": True})
    view = await submit(engine, chat, "identity", IDENTITY)
    assert isinstance(view, View) and "sudah punya pendaftaran" in view.errors["nik"]
    young = {"nik": "3574011505100001", "full_name": "Budi", "birth_date": "2010-05-15"}
    view = await submit(engine, chat, "identity", young)
    assert isinstance(view, View) and "di bawah 18 tahun" in view.errors["birth_date"]
    assert view.values == young  # shown as typed, but not kept: the chat keeps nothing either
    async with db.reader() as session:
        (conversation,) = (await session.exec(select(Conversation))).all()
    assert "draft" not in conversation.data


async def test_the_consent_box_must_be_ticked(chat: Chat, engine: Engine) -> None:
    await form(engine, chat, native(engine).open)
    view = await submit(engine, chat, "consent", {"consent": False})
    assert isinstance(view, View) and view.screen.id == "consent" and "centang" in view.errors["consent"]


async def test_the_whole_form_at_once_is_refused_with_every_error(chat: Chat, engine: Engine) -> None:
    result = await form(
        engine, chat, lambda turn: native(engine).complete(turn, {"consent": False, "nik": "1"})
    )
    assert isinstance(result, Refused) and result.screen == "consent"
    assert {"consent", "nik", "full_name", "occupation", "programs"} <= set(result.errors)
    fields = {"consent": True, **IDENTITY, **CONTACT, "occupation": "petani", "income": "3jt"}
    fields |= {"programs": "basic", "period": "12"}
    done = await form(engine, chat, lambda turn: native(engine).complete(turn, fields))
    assert isinstance(done, Completed) and not done.duplicate
    assert any(done.reference in reply.text for reply in chat.history)


def _submission(nik_hash: str) -> Submission:
    from datetime import UTC, datetime

    return Submission(
        reference="AAAA-BBBB",
        branch_code="KC-PROBOLINGGO",
        channel="test",
        consent_version="1",
        consent_at=datetime(2026, 1, 1, tzinfo=UTC),
        nik_hash=nik_hash,
        occupation="petani",
        income_band="1-2jt",
        programs="jkk_jkm",
        monthly_contribution=16800,
        payment_months=1,
        period_total=16800,
    )


async def test_the_report_shows_each_way_with_its_funnel_and_messages(
    chat: Chat, engine: Engine, db: Database
) -> None:
    await begin_in_the_form(chat, engine, {**IDENTITY, "nik": "1"})  # refused: stays on the screen
    fields = {"consent": True, **IDENTITY, **CONTACT, "occupation": "petani", "income": "3jt"}
    fields |= {"programs": "basic", "period": "12"}
    await form(engine, chat, lambda turn: native(engine).complete(turn, fields))
    report = await Backoffice(db, VAULT, CATALOGUE).reports(Access.operator("test"))
    assert report.table("by_path").rows == (("Formulir sekaligus", "test", 1, 2, 2.0),)  # "daftar", the tap
    funnel = {
        row[2]: row[3:] for row in report.table("funnel_by_path").rows if row[0] == "Formulir sekaligus"
    }
    assert funnel["Formulir dibuka"] == (1, 0, 0) and funnel["Formulir terkirim"] == (0, 1, 0)
    assert funnel["Layar: Persetujuan"] == (1, 1, 0) and funnel["Layar: Data diri"] == (1, 0, 0)
    chat_rows = [row for row in report.table("funnel_by_path").rows if row[0] == "Chat, satu per satu"]
    assert chat_rows == []  # no question was asked in the chat


async def test_messages_to_enrol_by_chat(db: Database, clock: FixedClock) -> None:
    """The count the report shows: 14 in the chat (13 answers and "kirim"), one more where the
    form is offered and declined."""
    plain = Engine(db, build_router(), vault=VAULT, clock=clock, rules=Rules(agent_codes=TEST_AGENT_CODES))
    offered = Engine(
        db, build_router(), vault=VAULT, clock=clock, rules=Rules(native_forms=frozenset({"test"}))
    )
    for engine, chat_id, lines in (
        (plain, "6281100000001", HAPPY),
        (
            offered,
            "6281100000002",
            [HAPPY[0], "Tanya satu per satu", HAPPY[1], "3577014708850002", *HAPPY[3:]],
        ),
    ):
        chat = Chat(db, engine, chat_id=chat_id)
        for line in [*lines, "kirim"]:
            await chat.say(line)
    async with db.reader() as session:
        found = {
            s.contact_id: (s.enrol_path, s.messages_to_enrol)
            for s in (await session.exec(select(Submission)))
        }
    assert sorted(found.values()) == [("chat", 14), ("chat", 15)]
