"""The channels the service knows, in one list.

Each entry names the package that declares the channel (`CHANNEL_TYPE`, a `ChannelType`), what
staff know of it (`ChannelInfo`), and when the settings enable it. A package is imported only
when its channel is enabled, so a platform library is loaded only where it is used. Adding a
channel is one package and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.channels.base import ChannelType
from bot.settings import Settings
from handlers.channels import Catalogue, ChannelInfo


@dataclass(frozen=True)
class Registration:
    module: str
    """The channel's package (a module with `CHANNEL_TYPE: ChannelType`)."""
    info: ChannelInfo
    """What staff and the conversation know of it, without importing the package."""
    enabled: Callable[[Settings], bool]
    form_ready: Callable[[Settings], bool] = lambda _settings: False
    """Whether its native form (`ChannelInfo.native_form`) is set up in these settings."""

    def shows_form(self, settings: Settings) -> bool:
        return self.info.native_form and self.enabled(settings) and self.form_ready(settings)

    def channel_type(self) -> ChannelType:
        declared = importlib.import_module(self.module).CHANNEL_TYPE
        assert isinstance(declared, ChannelType), f"{self.module}.CHANNEL_TYPE is not a ChannelType"
        assert declared.name == self.info.name, f"{self.module} is {declared.name}, not {self.info.name}"
        return declared


TELEGRAM = ChannelInfo(
    name="telegram",
    display_name="Telegram",
    broadcasts=True,
    session_link="https://t.me/{address}?start=s_{code}",
    test_chat=True,
    native_form=True,
)
WHATSAPP = ChannelInfo(
    name="whatsapp",
    display_name="WhatsApp",
    broadcasts=True,
    session_link="https://wa.me/{address}?text=DAFTAR%20{code}",
    test_chat=True,
    chat_id_is_phone=True,
    native_form=True,
    reply_window_hours=24,
    chat_link="https://wa.me/{phone}",
)

REGISTRY: tuple[Registration, ...] = (
    Registration(
        "bot.channels.whatsapp",
        WHATSAPP,
        lambda settings: settings.whatsapp_enabled,
        form_ready=lambda settings: settings.whatsapp_flow_enabled,
    ),
    Registration(
        "bot.channels.telegram",
        TELEGRAM,
        lambda settings: settings.telegram_enabled,
        form_ready=lambda settings: settings.telegram_webapp_enabled,
    ),
)
"""The channels `bpu-bot serve` runs when their settings are given."""

CONSOLE = Registration("bot.channels.console", ChannelInfo("console", "Konsol"), lambda _settings: True)
"""The terminal, for `bpu-bot chat` alone."""


def enabled_types(settings: Settings, registry: Iterable[Registration] = REGISTRY) -> list[ChannelType]:
    return [entry.channel_type() for entry in registry if entry.enabled(settings)]


def native_forms(settings: Settings, registry: Iterable[Registration] = REGISTRY) -> frozenset[str]:
    """The channels whose native form the enrolment offers with these settings."""
    return frozenset(entry.info.name for entry in registry if entry.shows_form(settings))


def catalogue(registry: Iterable[Registration] = REGISTRY) -> Catalogue:
    """Every channel staff may meet in stored data: the registry's and the console."""
    entries = list(registry)
    if CONSOLE not in entries:
        entries.append(CONSOLE)
    return Catalogue(entry.info for entry in entries)
