"""The back office's labels and refusal sentences, from messages/id/backoffice.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from messages.form_labels import form_labels
from messages.program_data import occupation

BACKOFFICE_TEXTS = Path(__file__).resolve().parents[2] / "messages" / "id" / "backoffice.toml"


@cache
def texts() -> dict[str, Any]:
    with BACKOFFICE_TEXTS.open("rb") as handle:
        return tomllib.load(handle)


def refusal(key: str, **fmt: str) -> str:
    text: str = texts()["refusals"][key]
    return text.format(**fmt) if fmt else text


def status_label(code: str) -> str:
    """A status as officers name it on every page, export and refusal ("Diproses")."""
    label: str = texts()["statuses"].get(code, code)
    return label


def callback_status_label(code: str) -> str:
    label: str = texts()["callback_statuses"].get(code, code)
    return label


def flag_label(code: str) -> str:
    label: str = texts()["flags"].get(code, code)
    return label


def role_label(code: str) -> str:
    label: str = texts()["roles"].get(code, code)
    return label


def call_outcomes() -> dict[str, str]:
    outcomes: dict[str, str] = texts()["call_outcomes"]
    return outcomes


def rejection_reasons() -> dict[str, dict[str, str]]:
    """{code: {"label": for the officer, "worker": the sentence the worker receives}}."""
    reasons: dict[str, dict[str, str]] = texts()["rejection_reasons"]
    return reasons


def programs_label(code: str) -> str:
    """ "jkk_jkm_jht" → "JKK + JKM + JHT"."""
    key = "with_jht" if code == "jkk_jkm_jht" else "basic"
    label: str = form_labels()["programs"][key]
    return label


def occupation_label(code: str) -> str:
    """An occupation's name for staff; the code itself when the list no longer has it."""
    try:
        return occupation(code).label
    except KeyError:
        return code
