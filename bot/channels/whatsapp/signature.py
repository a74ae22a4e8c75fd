"""`X-Hub-Signature-256`: how Meta signs what it posts (webhooks, the Flow's data endpoint)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "x-hub-signature-256"


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """Constant-time check of the header against the body.

    pywa's `webhook_updates_validator` compares `str`s, which raises on a non-ASCII header
    (a 500 for a forged request); comparing bytes refuses it like any wrong signature.
    """
    expected = sign(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))
