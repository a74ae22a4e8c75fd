"""Reads the form's labels (messages/form.toml)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

FORM_LABELS = Path(__file__).resolve().parent / "form.toml"


@cache
def form_labels() -> dict[str, Any]:
    with FORM_LABELS.open("rb") as handle:
        return tomllib.load(handle)


def button(key: str, **fmt: str) -> str:
    """A button label, with `{placeholders}` filled in: button("use_known_phone", phone="0812-…")."""
    text: str = form_labels()["buttons"][key]
    return text.format(**fmt) if fmt else text
