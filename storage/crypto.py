"""Encryption of personal data at rest, and keyed hashes for matching without decrypting.

Fernet (AES-128-CBC + HMAC) with the PII_ENCRYPTION_KEY. The matching hash is HMAC-SHA256
under a key derived from the same secret, so a leaked database alone cannot be brute-forced
for NIKs (16 digits with known structure would fall to a plain hash in minutes).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet


class Vault:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())
        self._hash_key = hmac.new(key.encode(), b"bpu-bot keyed hash v1", hashlib.sha256).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_optional(self, value: str | None) -> str | None:
        return None if value is None else self.encrypt(value)

    def decrypt_optional(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)

    def keyed_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def phone_hash(self, e164: str) -> str:
        """The keyed hash of a normalised (E.164) phone number, for exact search by staff."""
        return self.keyed_hash("phone:" + e164)


def mask_nik(nik: str) -> str:
    """3577014708850001 → 357701******0001: region and serial visible, birth date hidden."""
    return f"{nik[:6]}{'*' * 6}{nik[12:]}" if len(nik) == 16 else "*" * len(nik)
