"""An officer holds the chat: the bot steps aside, except for the person's own rights.

While an officer holds a person's chat (`storage.chat_models.AgentHandoff`, opened by an
officer's message from the staff side), the person's messages wait in the officer's inbox and
the bot says nothing, except to "stop"/"mulai" (announcements) and "data saya"/"hapus data"
(and the privacy flow those open). After AGENT_HANDBACK_MINUTES without an officer's message
the bot takes the chat back at the person's next message, and says so first.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.flow import Flow
from handlers.intents import match_command
from handlers.turn import Turn
from storage.chat import is_open

ALWAYS_ANSWERED = frozenset({"stop", "resume", "privacy_view", "privacy_delete"})
"""Commands the bot answers even while an officer holds the chat."""
PRIVACY_FLOW = "privacy"


async def officer_holds(turn: Turn, current: Flow | None) -> bool:
    """True when an officer holds the chat and the message is theirs to answer (kept for them)."""
    if not turn.held:  # read with the conversation: no second statement for nearly every message
        return False
    hold = await turn.store.agent_hold(turn.contact)
    if hold is None or hold.closed_at is not None:
        return False
    quiet = timedelta(minutes=turn.rules.agent_handback_minutes)
    if not is_open(hold, turn.now, quiet):
        await turn.store.release_agent_hold(turn.contact, turn.now, "quiet")
        turn.say("agent_bot_back")
        return False
    command = match_command(turn.text) if turn.inbound.kind == "text" and turn.text else None
    if command in ALWAYS_ANSWERED or (current is not None and current.name == PRIVACY_FLOW):
        return False
    await turn.store.note_for_officer(turn.contact, turn.now)
    return True
