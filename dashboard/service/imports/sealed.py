"""The uploaded file between the preview and "Terapkan", kept by the officer's browser.

The preview page carries the file back in a hidden field, sealed: compressed, then encrypted and
authenticated with the service's key (Fernet), with who uploaded it and when. So the page holds
no NIK in clear, a changed or foreign seal is refused, and it lasts SEAL_MINUTES. Nothing is
kept on the server between the two steps (every process of the service can apply it).
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken

from dashboard.service.errors import InvalidInput
from dashboard.service.imports.texts import refusal
from storage.crypto import Vault

SEAL_MINUTES = 60


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes


def seal(vault: Vault, username: str, upload: Upload, now: datetime) -> str:
    packed = base64.b64encode(zlib.compress(upload.content, 6)).decode()
    body = {"by": username, "at": now.isoformat(), "name": upload.file_name, "file": packed}
    return vault.encrypt(json.dumps(body))


def unseal(vault: Vault, username: str, token: str, now: datetime) -> Upload:
    """The upload, or InvalidInput when the seal is damaged, someone else's or too old."""
    try:
        body = json.loads(vault.decrypt(token))
        at = datetime.fromisoformat(body["at"])
        content = zlib.decompress(base64.b64decode(body["file"]))
    except (InvalidToken, ValueError, KeyError, TypeError, zlib.error) as exc:
        raise InvalidInput("file", refusal("expired")) from exc
    if body.get("by") != username or not (
        now - timedelta(minutes=SEAL_MINUTES) <= at <= now + timedelta(minutes=1)
    ):
        raise InvalidInput("file", refusal("expired"))
    return Upload(str(body.get("name") or "unggahan"), content)
