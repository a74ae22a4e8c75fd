"""The console channel: `bpu-bot chat` reads lines from stdin and prints the replies.

It runs the same engine on the same database as the other channels, and its replies go out
the same way: the outbox sender hands them to `ConsoleTransport` (transport.py), which prints
each with its options as numbered lines. After each line the chat (chat.py) waits until the
replies are out, so a piped conversation prints in order.
"""

from __future__ import annotations

import sys

from bot.channels.base import Channel, ChannelContext, ChannelType
from bot.channels.console.chat import ConsoleChat
from bot.channels.console.transport import CHANNEL, LIMITS, ConsoleTransport


def _print(text: str) -> None:
    print(text + "\n", flush=True)


def _build(context: ChannelContext) -> Channel:
    return Channel(CHANNEL, ConsoleTransport(_print), run=ConsoleChat(context, sys.stdin).run)


CHANNEL_TYPE = ChannelType(CHANNEL, lambda _settings: LIMITS, _build)
