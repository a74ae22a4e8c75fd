"""Reads the form's labels (messages/form.toml)."""

from __future__ import annotations

from typing import Any

from messages.data import data


def form_labels() -> dict[str, Any]:
    return data("form")
