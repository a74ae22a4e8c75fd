"""The import's Indonesian sentences, from messages/id/imports.toml."""

from __future__ import annotations

from functools import cache
from typing import Any

from messages.data import data


@cache
def _texts() -> dict[str, Any]:
    return data("imports", "id")


def refusal(key: str, **fmt: str) -> str:
    text: str = _texts()["refusals"][key]
    return text.format(**fmt) if fmt else text


def change(key: str, **fmt: str) -> str:
    text: str = _texts()["changes"][key]
    return text.format(**fmt) if fmt else text


def column_help() -> dict[str, str]:
    columns: dict[str, str] = _texts()["columns"]
    return columns


def history_note(file_name: str, row: int, note: str | None) -> str:
    text: str = _texts()["history"]["note"].format(file=file_name[:80], row=row)
    return f"{text}: {note}" if note else text
