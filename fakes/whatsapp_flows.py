"""A fake WhatsApp client for a Flow's data endpoint: it encrypts requests as WhatsApp does.

Per request, a fresh AES-128 key and 16-byte IV: the JSON body encrypted with AES-GCM (the tag
appended), the key encrypted to the business public key with RSA-OAEP (SHA-256, MGF1 SHA-256),
all three base64 in `{encrypted_flow_data, encrypted_aes_key, initial_vector}`, the body signed
with the app secret (`X-Hub-Signature-256`). The answer is decrypted with the same key and the
IV with every bit inverted. (WhatsApp Flows, "Implementing your Flow endpoint": request
decryption and response encryption.)
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.channels.whatsapp.signature import sign
from fakes import meta_webhooks as meta


@dataclass(frozen=True)
class KeyPair:
    """The business key pair: the private key in PEM (encrypted with `passphrase`), the public one."""

    private_pem: str
    public_pem: str
    passphrase: str


def key_pair(passphrase: str = "kata-sandi-kunci") -> KeyPair:
    """A new 2048-bit RSA key pair, as `openssl genrsa -aes256` and `openssl rsa -pubout` make one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode(), passphrase)


@dataclass(frozen=True)
class Sealed:
    """One encrypted request: the envelope posted, and the key and IV to read the answer."""

    envelope: dict[str, str]
    aes_key: bytes
    iv: bytes


@dataclass
class FlowAnswer:
    status: int
    body: dict[str, Any] | None
    """The decrypted answer (None when it was not encrypted: a refusal before decryption)."""
    text: str


class FakeFlowClient:
    """Talks to a Flow's data endpoint as the WhatsApp app does."""

    def __init__(self, http: httpx.AsyncClient, url: str, public_pem: str, app_secret: str = meta.APP_SECRET):
        self.http = http
        self.url = url
        self.public_key = serialization.load_pem_public_key(public_pem.encode())
        self.app_secret = app_secret

    def seal(self, request: dict[str, Any]) -> Sealed:
        aes_key, iv = os.urandom(16), os.urandom(16)
        data = AESGCM(aes_key).encrypt(iv, json.dumps(request).encode(), None)
        encrypted_key = self.public_key.encrypt(  # type: ignore[union-attr]
            aes_key,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )
        envelope = {
            "encrypted_flow_data": base64.b64encode(data).decode(),
            "encrypted_aes_key": base64.b64encode(encrypted_key).decode(),
            "initial_vector": base64.b64encode(iv).decode(),
        }
        return Sealed(envelope, aes_key, iv)

    @staticmethod
    def open(text: str, aes_key: bytes, iv: bytes) -> dict[str, Any]:
        flipped = bytes(b ^ 0xFF for b in iv)
        plain = AESGCM(aes_key).decrypt(flipped, base64.b64decode(text), None)
        body: dict[str, Any] = json.loads(plain)
        return body

    async def post_raw(self, raw: bytes, signature: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return await self.http.post(self.url, content=raw, headers=headers)

    async def send(self, request: dict[str, Any]) -> FlowAnswer:
        """Encrypts, signs and posts `request`; decrypts the answer when it is encrypted."""
        sealed = self.seal(request)
        raw = json.dumps(sealed.envelope).encode()
        response = await self.post_raw(raw, sign(self.app_secret, raw))
        try:
            body: dict[str, Any] | None = self.open(response.text, sealed.aes_key, sealed.iv)
        except Exception:  # a refusal in plain text
            body = None
        return FlowAnswer(response.status_code, body, response.text)

    async def ping(self) -> FlowAnswer:
        return await self.send({"version": "3.0", "action": "ping"})

    async def init(self, token: str) -> FlowAnswer:
        return await self.send({"version": "3.0", "action": "INIT", "flow_token": token})

    async def exchange(self, token: str, screen: str, data: dict[str, Any]) -> FlowAnswer:
        return await self.send(
            {"version": "3.0", "action": "data_exchange", "screen": screen, "data": data, "flow_token": token}
        )
