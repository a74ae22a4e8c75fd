"""What the rest of the product knows about a channel, without knowing any channel.

The channel registry (`bot/channels/registry.py`) declares each channel's `ChannelInfo` and
hands the service a `Catalogue` of them; the staff side (filters, audiences, the API's schema,
session links, test chats) reads that catalogue, passed in, and never names a channel itself.
Adding a channel therefore changes nothing outside `bot/channels/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class ChannelInfo:
    """One channel as staff and the conversation see it."""

    name: str
    """The stored name (`contact.channel`, `outbox.channel`, `submission.channel`)."""
    display_name: str
    """What a person reads: "Telegram"."""
    broadcasts: bool = False
    """It receives announcements (broadcasts, session reminders) and can be an audience."""
    session_link: str | None = None
    """How a session's link is written, with `{address}` (the bot's username or number on the
    platform) and `{code}` (the session code, URL-quoted); None: sessions have no link here."""
    test_chat: bool = False
    """An officer may link their own chat on it for "kirim uji"."""
    chat_id_is_phone: bool = False
    """The chat address is the person's phone number (a callback can use it)."""
    native_form: bool = False
    """It can show the whole enrolment form at once (a WhatsApp Flow, a Telegram Mini App),
    once the operator has set it up; the chat stays the fallback."""
    reply_window_hours: int | None = None
    """Free text reaches the person only this long after their last message (WhatsApp's
    customer-service window); outside it an approved template goes first. None: always."""
    chat_link: str | None = None
    """A click-to-chat link to a person's number, with `{phone}` (digits of the E.164 number,
    no "+"); None: the channel has none."""

    def chat_link_to(self, phone: str | None) -> str | None:
        """The click-to-chat link to a phone number (E.164, or written the Indonesian way with
        a leading 0 and dashes), or None."""
        digits = "".join(ch for ch in phone or "" if ch.isdigit())
        digits = "62" + digits[1:] if digits.startswith("0") else digits
        return self.chat_link.format(phone=digits) if self.chat_link and digits else None

    def link(self, address: str | None, code: str) -> str | None:
        """The session link for this channel, or None while the bot's address is unknown."""
        if self.session_link is None or not address:
            return None
        return self.session_link.format(address=quote(address, safe=""), code=quote(code, safe=""))


class Catalogue:
    """The known channels, in the registry's order."""

    def __init__(self, channels: Iterable[ChannelInfo]) -> None:
        self._by_name = {info.name: info for info in channels}

    def __iter__(self) -> Iterator[ChannelInfo]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> ChannelInfo | None:
        return self._by_name.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def display(self, name: str) -> str:
        """The name a person reads; an unknown stored name is shown as it is."""
        info = self._by_name.get(name)
        return info.display_name if info is not None else name

    def broadcasting(self) -> tuple[ChannelInfo, ...]:
        return tuple(info for info in self if info.broadcasts)

    def linkable(self) -> tuple[ChannelInfo, ...]:
        """The channels an officer's test chat may be on."""
        return tuple(info for info in self if info.test_chat)

    def with_sessions(self) -> tuple[ChannelInfo, ...]:
        return tuple(info for info in self if info.session_link is not None)

    def only(self, names: Sequence[str]) -> Catalogue:
        return Catalogue(info for info in self if info.name in names)


@dataclass(frozen=True)
class Identity:
    """Where people reach the bot on each channel (a username, a number), by channel name;
    a channel whose address is not known (yet) maps to None or is absent."""

    addresses: Mapping[str, str | None]

    def address(self, channel: str) -> str | None:
        return self.addresses.get(channel)

    def links(self, channels: Catalogue, code: str) -> dict[str, str | None]:
        """Each session-capable channel's link for a session code (None while unknown)."""
        return {info.name: info.link(self.address(info.name), code) for info in channels.with_sessions()}
