"""Every message a person gets fits a phone screen (~600 characters) on every channel, the
console's numbered options included: long pages, summaries and welcomes go out in parts."""

from __future__ import annotations

from bot.channels.console.transport import format_payload
from handlers.types import PHONE_SCREEN, Option, Reply, on_screens
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.helpers import Chat

LONG_ADDRESS = "Jl. " + "Kenanga Raya Gang Melati " * 6 + "RT 03/RW 05, Kel. Kanigoro"


def _printed(chat: Chat) -> list[str]:
    return [format_payload(reply.to_payload()) for reply in chat.history]


def test_a_long_reply_is_cut_between_paragraphs_and_keeps_its_options_at_the_end() -> None:
    text = "\n\n".join(f"Paragraf {n}: " + "kata " * 60 for n in range(4))
    options = tuple(Option(f"o{n}", f"Pilihan nomor {n}") for n in range(6))
    parts = on_screens(Reply(text, options, ask_phone=True))
    assert len(parts) > 1 and all(p.options == () and not p.ask_phone for p in parts[:-1])
    assert parts[-1].options == options and parts[-1].ask_phone
    assert all(len(format_payload(p.to_payload())) <= PHONE_SCREEN for p in parts)
    assert "".join("".join(p.text for p in parts).split()) == "".join(text.split())  # nothing lost


async def test_no_message_of_a_whole_conversation_overflows_a_screen(chat: Chat) -> None:
    await run(chat, [*HAPPY[:7], LONG_ADDRESS, *HAPPY[8:]])  # a summary with a long address
    for line in ("manfaat", "jkk", "selengkapnya", "dasar aturan", "data saya", "halo"):
        await chat.send(line)
    printed = _printed(chat)
    assert any("Kenanga Raya" in text for text in printed)  # the summary was there
    too_long = [(len(text), text[:60]) for text in printed if len(text) > PHONE_SCREEN]
    assert too_long == []


async def test_an_address_too_long_is_shown_back_to_shorten(chat: Chat) -> None:
    await run(chat, HAPPY[:7])
    typed = "Jl. " + "Kenanga Raya Gang Melati " * 12
    text = await chat.say(typed)
    assert "terlalu panjang" in text and " ".join(typed.split()) in " ".join(text.split())
