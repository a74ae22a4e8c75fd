"""aiogram's models built on first use (`bot/channels/telegram/aiogram_lean.py`), and built once.

The answer envelope of a Bot API call, `Response[Message]`, is a generic parametrization that
pydantic caches weakly. Without `aiogram_lean` keeping it, a full garbage collection frees it
and the next `sendMessage` builds it again, with the event loop held for ~65 ms. The check runs
in a fresh interpreter: `aiogram_lean` works only when installed before aiogram is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc, json, weakref
import bot.channels.telegram  # installs aiogram_lean before aiogram is imported
from aiogram.methods import SendMessage
from aiogram.methods.base import Response

answer = {"ok": True, "result": {"message_id": 7, "date": 0, "chat": {"id": 1, "type": "private"}}}

def first_call():
    # Inside a function, as in aiogram's `check_response`: parametrized at a module's top
    # level, pydantic would also keep the class in that module's namespace.
    envelope = Response[SendMessage.__returning__]
    built_at_first_use = not envelope.__pydantic_complete__
    message_id = envelope.model_validate(answer).result.message_id
    return weakref.ref(envelope), built_at_first_use, message_id

kept, built_at_first_use, message_id = first_call()
gc.collect()
print(json.dumps({
    "built_at_first_use": built_at_first_use,
    "message_id": message_id,
    "kept": kept() is not None,
    "same_class_again": Response[SendMessage.__returning__] is kept(),
}))
"""


def test_an_answer_envelope_is_built_once_and_survives_a_full_collection() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen == {
        "built_at_first_use": True,
        "message_id": 7,
        "kept": True,
        "same_class_again": True,
    }
