"""Where people reach the bot on Telegram: its username, for the links of socialization sessions.

`TELEGRAM_BOT_USERNAME` wins when set; otherwise Telegram's `getMe` (at `TELEGRAM_API_URL`).
"""

from __future__ import annotations

from bot.channels.telegram.transport import make_bot
from bot.settings import Settings


async def bot_username(settings: Settings) -> str | None:
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    bot = make_bot(settings)
    try:
        me = await bot.get_me()
        return me.username
    finally:
        await bot.session.close()
