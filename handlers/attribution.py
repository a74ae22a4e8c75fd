"""Where a person came from: the session or agent code in a start link or a "DAFTAR <code>" text."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from handlers.types import Inbound
from messages.data import read_toml, typed_words

AGENTS_FILE = Path(__file__).resolve().parent.parent / "messages" / "agents.toml"
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,39}")


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(word.lower() for word in typed_words("intents")["attribution"][key])


@cache
def load_agent_codes(path: Path = AGENTS_FILE) -> frozenset[str]:
    """The agent codes of a data file (messages/agents.toml by default), upper case."""
    agents = read_toml(path).get("agent", [])
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
        words = inbound.text.lower().split()
        if len(words) == 2 and words[0] in _words("keywords") and words[1] not in _words("not_codes"):
            return _clean(inbound.text.split()[1])
    return None
