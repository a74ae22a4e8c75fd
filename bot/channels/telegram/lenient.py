"""Reads a Telegram update leniently: be liberal in what you accept.

aiogram's models follow the newest Bot API. An older Bot API server (a self-hosted one not yet
upgraded) leaves out fields added since, and strict validation would refuse the whole update:
the person would get no reply. A required field that is missing is filled with an empty value
of its type (None, then "", 0, False, {} or [] as validation asks), and the update is read
again; the bot only needs a handful of fields, all present in every Bot API version. A body
without an `update_id` is not an update and stays refused.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

log = logging.getLogger(__name__)

MAX_ROUNDS = 8
_EMPTY_BY_ERROR: dict[str, Any] = {
    "string_type": "",
    "int_type": 0,
    "float_type": 0.0,
    "bool_type": False,
    "model_type": {},
    "model_attributes_type": {},
    "dict_type": {},
    "list_type": [],
    "literal_error": None,
}


def _container(data: Any, loc: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """The object holding the field at `loc` and the field's key; union tags in `loc` skipped."""
    node: Any = data
    parent: Any = None
    key: Any = None
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        is_index = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if is_key or is_index:
            parent, key, node = node, part, node[part]
        elif isinstance(node, dict) and part == loc[-1]:
            return node, part  # the missing field itself
        # anything else is a union member's name or tag: not a level of the data
    return (parent, key) if parent is not None else None


def parse_update(data: Any, context: dict[str, Any] | None = None) -> Update:
    """Update.model_validate, filling required fields an older server leaves out."""
    try:
        return Update.model_validate(data, context=context)
    except ValidationError as first:
        if not isinstance(data, dict):
            raise
        error: ValidationError = first
    data = copy.deepcopy(data)
    filled: dict[tuple[Any, ...], Any] = {}
    for _ in range(MAX_ROUNDS):
        progress = False
        for item in error.errors():
            loc = tuple(item["loc"])
            if len(loc) < 2:  # the update itself has no id: not an update at all
                continue
            found = _container(data, loc)
            if found is None:
                continue
            holder, key = found
            if item["type"] == "missing" and isinstance(holder, dict) and key not in holder:
                holder[key] = None
                filled[loc] = None
                progress = True
            elif loc in filled and item["type"] in _EMPTY_BY_ERROR and filled[loc] is None:
                holder[key] = filled[loc] = copy.copy(_EMPTY_BY_ERROR[item["type"]])
                progress = True
        if not progress:
            break
        try:
            return Update.model_validate(data, context=context)
        except ValidationError as again:
            error = again
    raise error


class RawGetUpdates(GetUpdates):
    """getUpdates answering plain JSON objects, read by `readable_updates` one by one: one
    update aiogram's models refuse must not stop the polling loop for every update after it."""

    __returning__ = list[dict[str, Any]]


def readable_updates(raw: list[dict[str, Any]], context: dict[str, Any]) -> list[Update]:
    """The updates of a getUpdates answer, read leniently; one that cannot be read is skipped."""
    updates = []
    for item in raw:
        try:
            updates.append(parse_update(item, context))
        except (ValidationError, ValueError, RecursionError):
            log.warning("telegram: skipped update %s, which cannot be read", item.get("update_id"))
    return updates
