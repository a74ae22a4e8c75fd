"""Reads the data files of messages/ (TOML): one loader, each file parsed once."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@cache
def data(name: str) -> dict[str, Any]:
    """`messages/<name>.toml`, parsed (cached: treat it as read-only)."""
    return read_toml(HERE / f"{name}.toml")
