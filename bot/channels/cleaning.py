"""Input cleaning at the edge: what reaches the engine and the database is text they can store.

A platform can hand over strings no database takes: a lone UTF-16 surrogate (valid in JSON as
"\\ud800", not encodable as UTF-8) in a profile name, a NUL (PostgreSQL refuses it in text) in a
name, an id or an answer. Refusing them would lock the person out (the platform redelivers the
same update forever), so they are replaced by U+FFFD (control characters other than tab and
newlines too): the engine then asks the person to type that answer again
(storage/text_guard.py). JSON nested deeper than any platform sends is refused as
malformed, before it can exhaust the parser's recursion.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, TypeVar

MAX_DEPTH = 32
"""Telegram updates and Meta webhooks nest about eight levels; 32 is far beyond both."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

T = TypeVar("T")


def clean_text(value: str) -> str:
    if value.isascii() and value.isprintable():
        return value
    return _CONTROL.sub("\ufffd", _SURROGATE.sub("\ufffd", value))


def _clean_value(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v, depth + 1) for v in value]
    return value


def load_json(body: bytes | str) -> Any:
    """Parses a webhook body and cleans every string in it; ValueError when it is not usable."""
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8") from exc
    return _clean_value(data, 0)


def clean_fields(event: T) -> T:
    """A dataclass (an `Inbound`) with every string field cleaned."""
    changes = {
        f.name: clean_text(value)
        for f in dataclasses.fields(event)  # type: ignore[arg-type]
        if isinstance(value := getattr(event, f.name), str) and clean_text(value) != value
    }
    return dataclasses.replace(event, **changes) if changes else event  # type: ignore[type-var]
