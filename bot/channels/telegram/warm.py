"""The Bot API models the service uses, built at start-up rather than at their first use.

aiogram's models are built on first use (`aiogram_lean.py`): building one compiles its validator
and serializer, from a few to 135 milliseconds of the event loop's time (`Response[Message]`,
which reads every answer to sendMessage, takes the most). At the first update, and at the first
reply of each kind, that stall held every request in flight; `bench.compare` showed it as its p99.
`build_models` builds the handful the service uses, once per process, before `bpu-bot serve`
takes requests: the process starts a few MB larger, as it would be after its first messages.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    GetMe,
    GetUpdates,
    SendMessage,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.channels.telegram.lenient import parse_update

_SAMPLE_UPDATE = {
    "update_id": 1,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "."},
}


@cache
def build_models() -> None:
    """Builds the validators and serializers of what the service sends and reads (once)."""
    parse_update(_SAMPLE_UPDATE, context={})
    markups = (
        None,
        InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=".", callback_data=".")]]),
        ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=".", request_contact=True)]]),
        ReplyKeyboardRemove(),
    )
    calls: list[TelegramMethod[Any]] = [
        *(SendMessage(chat_id=1, text=".", reply_markup=markup) for markup in markups),
        AnswerCallbackQuery(callback_query_id="1"),
        EditMessageReplyMarkup(chat_id=1, message_id=1),
        SetWebhook(url="https://example.invalid/"),
        DeleteWebhook(),
        SetMyCommands(commands=[BotCommand(command="start", description=".")]),
        GetMe(),
        GetUpdates(),
    ]
    for call in calls:
        call.model_dump(warnings=False)
        Response[call.__returning__].model_rebuild()  # type: ignore[name-defined]
