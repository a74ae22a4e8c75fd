"""The words people type after a payment reminder: "sudah bayar" and "berhenti ingatkan", in
Indonesian, Javanese, Madurese and English (messages/<lang>/intents.toml), in tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from handlers.intents import match_command, match_intent

MESSAGES = Path(__file__).resolve().parents[2] / "messages"
LANGUAGES = ("id", "jv", "mad", "en")


def _listed(intent: str) -> list[tuple[str, str]]:
    found = []
    for lang in LANGUAGES:
        raw = tomllib.loads((MESSAGES / lang / "intents.toml").read_text())
        found += [(lang, word) for word in raw["intents"][intent]["words"]]
    return found


@pytest.mark.parametrize(("lang", "text"), _listed("paid"))
def test_every_listed_paid_phrase_is_paid(lang: str, text: str) -> None:
    assert match_intent(text) == "paid"
    assert match_command(text) is None


@pytest.mark.parametrize(("lang", "text"), _listed("stop_reminders"))
def test_every_listed_stop_phrase_stops_reminders(lang: str, text: str) -> None:
    assert match_intent(text) == "stop_reminders"
    assert match_command(text) is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Sudah bayar kemarin di BNI", "paid"),
        ("sdh bayar pak", "paid"),
        ("udah bayarrr", "paid"),
        ("wis tak bayar mas", "paid"),
        ("sampun bayar", "paid"),
        ("la majar", "paid"),
        ("I already paid yesterday", "paid"),
        ("Berhenti ingatkan", "stop_reminders"),
        ("jangan ingatkan lagi ya", "stop_reminders"),
        ("ojo ngelingke maneh", "stop_reminders"),
        ("stop reminding me", "stop_reminders"),
        # not a payment said done
        ("bayar", "calculator"),
        ("kapan bayar", "payment_due"),
        ("lupa bayar", "payment_late"),
    ],
)
def test_typed_messages(text: str, intent: str) -> None:
    assert match_intent(text) == intent


def test_berhenti_alone_stays_the_announcement_command() -> None:
    assert match_command("berhenti") == "stop"
    assert match_command("berhenti ingatkan") is None
