"""The channels the service knows, in one list.

Each entry names the module that declares the channel (`CHANNEL_TYPE`, a `ChannelType`) and when
the settings enable it. A module is imported only when its channel is enabled, so a platform
library is loaded only where it is used. Adding a channel is one module and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.channels.base import ChannelType
from bot.settings import Settings


@dataclass(frozen=True)
class Registration:
    module: str
    """A module with `CHANNEL_TYPE: ChannelType`."""
    enabled: Callable[[Settings], bool]

    def channel_type(self) -> ChannelType:
        declared = importlib.import_module(self.module).CHANNEL_TYPE
        assert isinstance(declared, ChannelType), f"{self.module}.CHANNEL_TYPE is not a ChannelType"
        return declared


REGISTRY: tuple[Registration, ...] = (
    Registration("bot.channels.whatsapp_webhook", lambda settings: settings.whatsapp_enabled),
    Registration("bot.channels.telegram", lambda settings: settings.telegram_enabled),
)
"""The channels `bpu-bot serve` runs when their settings are given."""

CONSOLE = Registration("bot.channels.console", lambda _settings: True)
"""The terminal, for `bpu-bot chat` alone."""


def enabled_types(settings: Settings, registry: Iterable[Registration] = REGISTRY) -> list[ChannelType]:
    return [entry.channel_type() for entry in registry if entry.enabled(settings)]
