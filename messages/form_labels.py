"""Reads the form's labels (messages/<lang>/form.toml)."""

from __future__ import annotations

from typing import Any

from messages.data import DEFAULT_LANGUAGE, data


def form_labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Buttons, field names, summary lines, statuses, notes (see form.toml)."""
    return data("form", lang)
