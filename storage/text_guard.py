"""Text no row may hold: a NUL, other control characters (tab and line breaks aside), a lone
UTF-16 surrogate; and what a person's answer may not be made of besides: U+FFFD, which the
channels' edge cleaning puts where such a character came.

PostgreSQL refuses a NUL in text and no UTF-8 encoder takes a lone surrogate, while SQLite stores
both: the same input must not be kept on one database and fail on the other. `storable` is the
rule for rows, `typed_text_ok` for answers: the engine asks it of every incoming message
before a flow sees the text (and asks the person to type it again), and `guard_parameters`
applies it to every statement either database runs, so a value from anywhere else (the staff
pages, the API, a command) is refused the same way on both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class UnstorableText(ValueError):
    """A statement's parameter holds text no row may hold (see the module's docstring)."""


def storable(text: str) -> bool:
    """No NUL, control character (but tab and line breaks) or lone surrogate."""
    if text.isascii() and text.isprintable():
        return True
    return _UNSTORABLE.search(text) is None


def typed_text_ok(text: str) -> bool:
    """`storable`, and no U+FFFD: an answer the channel had to repair is asked for again."""
    return storable(text) and "\ufffd" not in text


def check_parameters(values: Any) -> None:
    """Raises UnstorableText if a text among `values` (a mapping or a sequence) may not be kept."""
    if isinstance(values, Mapping):
        values = values.values()
    elif not isinstance(values, Sequence) or isinstance(values, str | bytes):
        return
    for value in values:
        if type(value) is str and not storable(value):
            raise UnstorableText("a text parameter holds a NUL, a control character or a lone surrogate")


def guard_parameters(engine: AsyncEngine) -> None:
    """Refuses (UnstorableText) any statement whose text parameters `storable` refuses."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, _sql: str, parameters: Any, _context: Any, many: bool) -> None:
        if many and isinstance(parameters, Sequence):
            for row in parameters:
                check_parameters(row)
        else:
            check_parameters(parameters)
