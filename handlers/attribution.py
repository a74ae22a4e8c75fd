"""Where a person came from: the session or agent code in a start link or a "DAFTAR <code>" text."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from handlers.types import Inbound

_TABLE = Path(__file__).resolve().parent.parent / "messages" / "intents.toml"
AGENTS_FILE = Path(__file__).resolve().parent.parent / "messages" / "agents.toml"
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,39}")
_DAFTAR = re.compile(r"^\s*daftar\s+(\S+)\s*$", re.IGNORECASE)


@cache
def _not_codes() -> frozenset[str]:
    with _TABLE.open("rb") as handle:
        return frozenset(word.lower() for word in tomllib.load(handle)["attribution"]["not_codes"])


@cache
def load_agent_codes(path: Path = AGENTS_FILE) -> frozenset[str]:
    """The agent codes of a data file (messages/agents.toml by default), upper case."""
    with path.open("rb") as handle:
        agents = tomllib.load(handle).get("agent", [])
    codes = {str(agent["code"]).upper() for agent in agents}
    if bad := sorted(code for code in codes if _clean(code) != code):
        raise ValueError(f"{path}: not a usable code: {', '.join(bad)}")
    return frozenset(codes)


def _clean(code: str) -> str | None:
    code = code.strip()
    if code.lower().startswith("s_"):
        code = code[2:]
    return code.upper() if _CODE.fullmatch(code) else None


def attribution_code(inbound: Inbound, first_message: bool) -> str | None:
    """`/start s_KDP2211` → "KDP2211"; a first message "DAFTAR KDP2211" → "KDP2211"."""
    if inbound.kind == "start" and inbound.start_payload:
        return _clean(inbound.start_payload)
    if first_message and inbound.kind == "text" and inbound.text:
        match = _DAFTAR.match(inbound.text)
        if match and match.group(1).lower() not in _not_codes():
            return _clean(match.group(1))
    return None
