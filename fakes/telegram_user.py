"""A person on Telegram, for the tests: builds the updates their actions produce and reads
what the bot sent them from the fake Bot API's records."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from fakes.telegram_api import Call, FakeTelegram

_message_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Budi") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}


def private_chat(user_id: int, first_name: str = "Budi") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def message_update(update_id: int, user_id: int, first_name: str = "Budi", **content: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": private_chat(user_id, first_name),
            "from": user(user_id, first_name),
            **content,
        },
    }


def text_update(update_id: int, user_id: int, text: str, first_name: str = "Budi") -> dict[str, Any]:
    entities = []
    if text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    extra = {"entities": entities} if entities else {}
    return message_update(update_id, user_id, first_name, text=text, **extra)


def contact_update(
    update_id: int, user_id: int, phone: str, contact_user_id: int | None, first_name: str = "Budi"
) -> dict[str, Any]:
    contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    return message_update(update_id, user_id, first_name, contact=contact)


def callback_update(
    update_id: int, user_id: int, data: str, message: dict[str, Any], first_name: str = "Budi"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user(user_id, first_name),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": message,
        },
    }


@dataclass
class TelegramUser:
    """Talks to the bot through the fake: by polling (updates queued) or webhook (POSTed)."""

    fake: FakeTelegram
    user_id: int
    first_name: str = "Budi"
    webhook: bool = False
    pushed: list[dict[str, Any]] = field(default_factory=list)

    def send_update(self, update: dict[str, Any]) -> None:
        self.pushed.append(update)
        if self.webhook:
            response = self.fake.deliver_webhook(update)
            assert response.status_code == 200, response.text
        else:
            self.fake.push(update)

    def says(self, text: str) -> dict[str, Any]:
        update = text_update(self.fake.next_update_id(), self.user_id, text, self.first_name)
        self.send_update(update)
        return update

    def shares_contact(self, phone: str, own: bool = True) -> dict[str, Any]:
        owner = self.user_id if own else self.user_id + 1
        update = contact_update(self.fake.next_update_id(), self.user_id, phone, owner, self.first_name)
        self.send_update(update)
        return update

    def sends(self, **content: Any) -> dict[str, Any]:
        """Any other message content, e.g. photo=[...] or sticker={...}."""
        update = message_update(self.fake.next_update_id(), self.user_id, self.first_name, **content)
        self.send_update(update)
        return update

    def taps(self, label: str) -> dict[str, Any]:
        """Presses an inline button on the latest message that shows a keyboard: the button
        labelled `label`, or else the only one whose label starts with it."""
        for call in reversed(self.received()):
            message = self._message_of(call)
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") if message else None
            if not keyboard or message is None:
                continue
            buttons = [button for row in keyboard for button in row]
            chosen = [b for b in buttons if b["text"] == label] or [
                b for b in buttons if b["text"].startswith(label)
            ]
            assert len(chosen) == 1, f"{label!r} is not one button of {[b['text'] for b in buttons]}"
            update = callback_update(
                self.fake.next_update_id(),
                self.user_id,
                chosen[0]["callback_data"],
                message | {"chat": private_chat(self.user_id, self.first_name)},
                self.first_name,
            )
            self.send_update(update)
            return update
        raise AssertionError(f"no keyboard on the messages: {self.texts()}")

    def _message_of(self, call: Call) -> dict[str, Any] | None:
        """The message as it is now: the fake takes a pressed keyboard off."""
        return self.fake.message(self.user_id, int(call.result["message_id"]))

    def received(self) -> list[Call]:
        return self.fake.sent(self.user_id)

    def texts(self) -> list[str]:
        return [str(c.params["text"]) for c in self.received()]

    def wait_for_text(self, fragment: str, after: int = 0, timeout: float = 15.0) -> Call:
        """Waits until a message (the `after`-th onwards) contains `fragment`; returns it."""

        def found() -> Call | None:
            return next((c for c in self.received()[after:] if fragment in str(c.params["text"])), None)

        return self.fake.wait_for(found, timeout, what=f"a message with {fragment!r} to {self.user_id}")
