"""The Telegram channel (aiogram 3).

- `inbound.py`: an update as the engine's `Inbound`;
- `channel.py`: receiving, by long polling or webhook, and the start-up calls;
- `render.py`: an outbox payload as the Bot API calls that show it;
- `transport.py`: the Bot API client, and outbox rows sent through it;
- `identity.py`: the bot's username, for session links;
- `lenient.py`, `aiogram_lean.py`: around aiogram, reading updates of older Bot API servers and
  building its models on first use.

Importing this package loads aiogram: the registry imports it only when Telegram is enabled.
"""

from bot.channels.telegram.aiogram_lean import install

install()  # before any module of this package imports aiogram: see aiogram_lean

from bot.channels.base import ChannelType  # noqa: E402
from bot.channels.telegram.channel import build_channel  # noqa: E402
from bot.channels.telegram.identity import bot_username  # noqa: E402
from bot.channels.telegram.inbound import CHANNEL  # noqa: E402
from bot.channels.telegram.transport import telegram_limits  # noqa: E402

CHANNEL_TYPE = ChannelType(CHANNEL, telegram_limits, build_channel, identity=bot_username)
