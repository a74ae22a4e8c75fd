"""The Bot API models the service uses are built at start-up, not at the first update or reply.

Built on first use, `Response[Message]` (every answer to sendMessage) took ~135 ms of the event
loop, and `Update` ~120 ms: every request in flight waited (bot/channels/telegram/warm.py). The
check runs in a fresh interpreter, where nothing has built them yet.
"""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import bot.channels.telegram
from aiogram.methods.base import Response
from aiogram.types import Message, Update
from bot.channels.telegram.warm import build_models

def built():
    return (Update.__pydantic_complete__, Response[Message].__pydantic_complete__)

before = built()
build_models()
print(before, built())
"""


def test_start_up_builds_the_models_of_updates_and_replies() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "(False, False) (True, True)"
