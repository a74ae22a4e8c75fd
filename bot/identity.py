"""Where people reach the bot, for the links and QR codes of socialization sessions: the Telegram
bot's username and the WhatsApp business number.

`TELEGRAM_BOT_USERNAME` and `WHATSAPP_DISPLAY_NUMBER` win when set. Otherwise the username comes
from Telegram's `getMe` (through aiogram, at `TELEGRAM_API_URL`) and the number from the Graph
API's phone number object (`display_phone_number` of `WHATSAPP_PHONE_NUMBER_ID`, at
`WHATSAPP_API_URL`). A channel that is off, or a platform that does not answer, leaves its part
unknown (the pages say so); an unanswered lookup is tried again a minute later.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from bot.settings import Settings
from handlers.channels import Identity

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0
LOOKUP_TIMEOUT = 10.0


async def telegram_username(settings: Settings) -> str | None:
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if not settings.telegram_enabled:
        return None
    from bot.channels.telegram import make_bot

    bot = make_bot(settings)
    try:
        me = await bot.get_me()
        return me.username
    finally:
        await bot.session.close()


async def whatsapp_number(settings: Settings) -> str | None:
    if settings.whatsapp_display_number:
        return settings.whatsapp_display_number
    if not settings.whatsapp_enabled:
        return None
    url = (
        f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_api_version}/"
        f"{settings.whatsapp_phone_number_id}"
    )
    headers = {"Authorization": f"Bearer {settings.whatsapp_access_token}"}
    # Imported here: a Telegram-only service never loads httpx (nor the rich, pygments and click
    # that `import httpx` pulls in for its command line, ~5 MB of the idle process).
    import httpx

    async with httpx.AsyncClient(timeout=LOOKUP_TIMEOUT) as client:
        answer = await client.get(url, params={"fields": "display_phone_number"}, headers=headers)
    answer.raise_for_status()
    digits = re.sub(r"\D", "", str(answer.json().get("display_phone_number") or ""))
    return digits or None


class BotIdentity:
    """Resolves the identity once (and again after a failed lookup); `get()` is cheap after."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._known: Identity | None = None
        self._found: dict[str, str | None] = {}
        """Each platform's answer so far; a platform that failed is not in it yet."""
        self._retry_at = 0.0
        self._lock = asyncio.Lock()

    def _identity(self) -> Identity:
        return Identity(dict(self._found))

    async def resolve(self) -> Identity:
        async with self._lock:
            if self._known is not None or time.monotonic() < self._retry_at:
                return self._identity()
            failed = False
            for name, lookup in (("telegram", telegram_username), ("whatsapp", whatsapp_number)):
                if self._found.get(name) is not None:
                    continue
                try:
                    self._found[name] = await asyncio.wait_for(lookup(self.settings), LOOKUP_TIMEOUT)
                except Exception as exc:  # any platform failure: the links wait, the pages say so
                    log.warning("could not read the %s identity for session links: %s", name, exc)
                    failed = True
            identity = self._identity()
            if failed:
                self._retry_at = time.monotonic() + RETRY_SECONDS
            else:
                self._known = identity
            return identity

    async def get(self) -> Identity:
        return self._known if self._known is not None else await self.resolve()
