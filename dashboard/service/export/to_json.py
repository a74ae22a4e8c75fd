"""The JSON file, for programs: a list of objects keyed by column, in the programs' style."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def render(rows: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> bytes:
    objects = [{key: row.get(key) for key in keys} for row in rows]
    return (json.dumps(objects, ensure_ascii=False, indent=2) + "\n").encode()
