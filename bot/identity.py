"""Where people reach the bot, for the links and QR codes of socialization sessions: its address
on each enabled channel (a username, a number).

Each channel declares how its address is looked up (`ChannelType.identity`: a setting that wins
when given, else a question to the platform). A channel that is off has no address; a platform
that does not answer leaves its address unknown (the pages say so), and is asked again a minute
later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from bot.channels.registry import REGISTRY, Registration
from bot.settings import Settings
from handlers.channels import Identity

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0
LOOKUP_TIMEOUT = 10.0


class BotIdentity:
    """Resolves the identity once (and again after a failed lookup); `get()` is cheap after."""

    def __init__(self, settings: Settings, registry: Iterable[Registration] = REGISTRY) -> None:
        self.settings = settings
        self._channels = [entry for entry in registry if entry.enabled(settings)]
        self._known: Identity | None = None
        self._found: dict[str, str | None] = {}
        """Each channel's answer so far; a channel whose lookup failed is not in it yet."""
        self._retry_at = 0.0
        self._lock = asyncio.Lock()

    async def resolve(self) -> Identity:
        async with self._lock:
            if self._known is not None or time.monotonic() < self._retry_at:
                return Identity(dict(self._found))
            failed = False
            for entry in self._channels:
                name = entry.info.name
                if self._found.get(name) is not None:
                    continue
                lookup = entry.channel_type().identity
                if lookup is None:
                    continue
                try:
                    self._found[name] = await asyncio.wait_for(lookup(self.settings), LOOKUP_TIMEOUT)
                except Exception as exc:  # any platform failure: the links wait, the pages say so
                    log.warning("could not read the %s identity for session links: %s", name, exc)
                    failed = True
            identity = Identity(dict(self._found))
            if failed:
                self._retry_at = time.monotonic() + RETRY_SECONDS
            else:
                self._known = identity
            return identity

    async def get(self) -> Identity:
        return self._known if self._known is not None else await self.resolve()
