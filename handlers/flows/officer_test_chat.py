"""An officer links their own chat for "kirim uji": the dashboard shows a one-time code and the
officer sends "UJI <code>" to the bot.

Only that exact shape is read here: "uji" and six characters of the code alphabet, letters and
digits mixed, so nothing a worker writes ("uji coba", "ujian", "uji sistem") is taken for it.
A well-shaped code that is not valid (expired, used, never issued) is answered as such; the chat
is linked only through a valid, unexpired code, which is then used up.
"""

from __future__ import annotations

import re

from handlers.turn import Turn
from storage.officer_test_chats import looks_like_code

_MESSAGE = re.compile(r"\s*uji\s+([a-z0-9]{6})\s*[.!]?\s*", re.IGNORECASE)


def code_in(text: str) -> str | None:
    """The code of an "UJI <code>" message, or None when the text is anything else."""
    found = _MESSAGE.fullmatch(text)
    if found is None or not looks_like_code(found.group(1)):
        return None
    return found.group(1).upper()


async def link_test_chat(turn: Turn) -> bool:
    """Handles "UJI <code>"; False (the message goes on as usual) for any other text."""
    if turn.inbound.kind != "text":
        return False
    code = code_in(turn.text)
    if code is None:
        return False
    linked = await turn.store.link_test_chat(
        code, channel=turn.inbound.channel, chat_id=turn.inbound.chat_id, now=turn.now
    )
    if linked is None:
        turn.say("test_chat_invalid")
    else:
        turn.say("test_chat_linked", username=linked.username, channel=linked.channel)
    return True
