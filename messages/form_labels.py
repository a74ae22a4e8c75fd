"""Reads the form's labels (messages/form.toml)."""

from __future__ import annotations

from typing import Any

from messages.data import data


def form_labels() -> dict[str, Any]:
    return data("form")


def button(key: str, **fmt: str) -> str:
    """A button label, with `{placeholders}` filled in: button("use_known_phone", phone="0812-…")."""
    text: str = form_labels()["buttons"][key]
    return text.format(**fmt) if fmt else text
