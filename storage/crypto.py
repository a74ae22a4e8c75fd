"""Encryption of personal data at rest, and keyed hashes for matching without decrypting.

Fernet (AES-128-CBC + HMAC) with PII_ENCRYPTION_KEY, which may hold several keys, comma-separated,
newest first: values are encrypted with the newest and read with any (MultiFernet), so a new key
can be put in front and `bpu-bot keys rotate` re-encrypts the stored values at its own pace.

The matching hash is HMAC-SHA256 under a key derived from each Fernet key, so a leaked database
alone cannot be brute-forced for NIKs (16 digits with known structure would fall to a plain hash
in minutes). New hashes use the newest key's; look-ups try every configured key's
(`keyed_hashes`), and the rotation recomputes the stored hashes, so a retired key leaves
nothing behind, hash or ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def split_keys(value: str) -> list[str]:
    """The keys of a PII_ENCRYPTION_KEY value, newest first (blank parts ignored)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def key_fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing of it (backups record it, never the key)."""
    return hashlib.sha256(b"bpu-bot key fingerprint\0" + key.encode()).hexdigest()[:16]


class Vault:
    def __init__(self, key: str) -> None:
        keys = split_keys(key)
        if not keys:
            raise ValueError("no Fernet key given")
        self._fernets = [Fernet(k.encode()) for k in keys]
        self._fernet = MultiFernet(self._fernets)
        self._hash_keys = [
            hmac.new(k.encode(), b"bpu-bot keyed hash v1", hashlib.sha256).digest() for k in keys
        ]
        self.fingerprints = tuple(key_fingerprint(k) for k in keys)
        """Each configured key's fingerprint, newest first."""

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_optional(self, value: str | None) -> str | None:
        return None if value is None else self.encrypt(value)

    def decrypt_optional(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)

    def key_index(self, token: str) -> int | None:
        """Which configured key reads this token (0: the newest), or None when none does."""
        for index, fernet in enumerate(self._fernets):
            try:
                fernet.decrypt(token.encode())
            except InvalidToken:
                continue
            return index
        return None

    def rotate(self, token: str) -> str:
        """The value re-encrypted under the newest key; InvalidToken when no key reads it."""
        return self._fernet.rotate(token.encode()).decode()

    def keyed_hash(self, value: str) -> str:
        """The hash stored with a new value (the newest key's)."""
        return self._hashes(value)[0]

    def keyed_hashes(self, value: str) -> list[str]:
        """Every hash a stored value may carry (one per configured key), for look-ups."""
        return self._hashes(value)

    def phone_hash(self, e164: str) -> str:
        """The keyed hash of a normalised (E.164) phone number, for exact search by staff."""
        return self.keyed_hash("phone:" + e164)

    def phone_hashes(self, e164: str) -> list[str]:
        return self.keyed_hashes("phone:" + e164)

    def _hashes(self, value: str) -> list[str]:
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in self._hash_keys]


def mask_nik(nik: str) -> str:
    """3577014708850001 → 357701******0001: region and serial visible, birth date hidden."""
    return f"{nik[:6]}{'*' * 6}{nik[12:]}" if len(nik) == 16 else "*" * len(nik)
