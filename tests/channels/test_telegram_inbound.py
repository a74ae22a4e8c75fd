"""Telegram updates as the engine's Inbound: text, commands, buttons, contacts, media, the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Update

from bot.channels.telegram.inbound import message_key, phone_e164, to_inbound
from fakes.telegram_user import callback_update, contact_update, message_update, text_update
from handlers.types import Inbound
from messages.render import labels, render
from tests.support.helpers import Chat

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def inbound(data: dict[str, Any]) -> Inbound | None:
    return to_inbound(Update.model_validate(data), NOW)


def test_text_message() -> None:
    got = inbound(text_update(10, 777, "sy mau daftar", first_name="Siti"))
    assert got is not None
    assert (got.channel, got.chat_id, got.kind, got.text, got.sender_name) == (
        "telegram",
        "777",
        "text",
        "sy mau daftar",
        "Siti",
    )
    assert got.message_id.startswith("10:777:")


@pytest.mark.parametrize(
    ("text", "kind", "expected_text", "payload"),
    [
        ("/start", "start", None, None),
        ("/start sosialisasi_kedopok-22", "start", None, "sosialisasi_kedopok-22"),
        ("/start@bpu_test_bot agen42", "start", None, "agen42"),
        ("/menu", "text", "/menu", None),
        ("/daftar", "text", "/daftar", None),
        ("/status@bpu_test_bot", "text", "/status", None),
        ("/help", "text", "/help", None),
        ("/MENU@bpu_test_bot", "text", "/menu", None),
        ("/lainnya", "text", "/lainnya", None),
    ],
)
def test_commands(text: str, kind: str, expected_text: str | None, payload: str | None) -> None:
    got = inbound(text_update(11, 777, text))
    assert got is not None
    assert (got.kind, got.text, got.start_payload) == (kind, expected_text, payload)


def test_button_press_is_an_option() -> None:
    message = {"message_id": 5, "date": 0, "chat": {"id": 777, "type": "private"}, "text": "Menu"}
    got = inbound(callback_update(12, 777, "menu.calculator", message))
    assert got is not None
    assert (got.kind, got.option_id, got.chat_id, got.at) == ("option", "menu.calculator", "777", NOW)
    assert got.message_id == "12:cbcq12"
    numbered = inbound(callback_update(13, 777, "#3", message))
    assert numbered is not None and (numbered.kind, numbered.text) == ("text", "3")


def test_own_contact_is_the_phone_answer_in_e164() -> None:
    got = inbound(contact_update(14, 777, "6281234567890", contact_user_id=777))
    assert got is not None and (got.kind, got.phone) == ("contact", "+6281234567890")
    plus = inbound(contact_update(15, 777, "+62 812-3456-7890", contact_user_id=777))
    assert plus is not None and plus.phone == "+6281234567890"


def test_someone_elses_contact_is_not_taken_as_the_phone() -> None:
    other = inbound(contact_update(16, 777, "6281111111111", contact_user_id=778))
    assert other is not None and (other.kind, other.media_type, other.phone) == ("media", "contact", None)
    unknown_owner = inbound(contact_update(17, 777, "6281111111111", contact_user_id=None))
    assert unknown_owner is not None and unknown_owner.kind == "media"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        ({"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}, "photo"),
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "u",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "sticker",
        ),
        ({"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}, "voice"),
        ({"location": {"latitude": -7.6, "longitude": 111.5}}, "location"),
        ({"document": {"file_id": "d", "file_unique_id": "u"}}, "document"),
    ],
)
def test_other_content_is_media(content: dict[str, Any], media_type: str) -> None:
    got = inbound(message_update(18, 777, **content))
    assert got is not None and (got.kind, got.media_type) == ("media", media_type)


def test_service_messages_groups_and_other_updates_are_ignored() -> None:
    assert inbound(message_update(19, 777, new_chat_title="x")) is None
    group = text_update(20, 777, "halo")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Pasar"}
    assert inbound(group) is None
    assert inbound({"update_id": 21, "edited_message": text_update(21, 777, "x")["message"]}) is None


def test_phone_numbers() -> None:
    assert phone_e164("6281234567890") == "+6281234567890"
    assert phone_e164("+6281234567890") == "+6281234567890"
    assert phone_e164("12025550123") == "+12025550123"  # foreign numbers stay as they are


def test_message_key_is_stable_for_a_redelivery() -> None:
    update = Update.model_validate(text_update(30, 777, "halo"))
    again = Update.model_validate(update.model_dump(mode="json", exclude_none=True))
    assert message_key(update) == message_key(again)


async def test_every_command_in_the_menu_is_understood(chat: Chat) -> None:
    """Each command Telegram shows (messages/id/labels.toml) reaches something, never "not understood"."""
    for command in [*labels()["telegram_commands"], "help"]:
        got = inbound(text_update(11, 777, f"/{command}@bpu_test_bot"))
        assert got is not None and got.text
        replies = await chat.send(got.text)
        assert replies and not any(render("not_understood") in r.text for r in replies), command
