"""Where people reach the bot on WhatsApp: its business number, for the links of socialization
sessions.

`WHATSAPP_DISPLAY_NUMBER` wins when set; otherwise the Graph API's phone number object
(`display_phone_number` of `WHATSAPP_PHONE_NUMBER_ID`, at `WHATSAPP_API_URL`), as digits.
"""

from __future__ import annotations

import re

import httpx

from bot.settings import Settings

LOOKUP_TIMEOUT = 10.0


async def display_number(settings: Settings) -> str | None:
    if settings.whatsapp_display_number:
        return settings.whatsapp_display_number
    url = (
        f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_api_version}/"
        f"{settings.whatsapp_phone_number_id}"
    )
    headers = {"Authorization": f"Bearer {settings.whatsapp_access_token}"}
    async with httpx.AsyncClient(timeout=LOOKUP_TIMEOUT) as client:
        answer = await client.get(url, params={"fields": "display_phone_number"}, headers=headers)
    answer.raise_for_status()
    digits = re.sub(r"\D", "", str(answer.json().get("display_phone_number") or ""))
    return digits or None
