"""Ed25519 signatures over an event's canonical bytes."""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.bindings import crypto_sign_BYTES as SIGNATURE_BYTES
from nacl.exceptions import BadSignatureError
from pydantic_core import from_json

from schemas.canonical import canonical_bytes, canonical_json
from schemas.envelope import Envelope
from schemas.errors import SignatureInvalid

E = TypeVar("E", bound=Envelope[Any])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)


class VerifyKey:
    """A body's public key, as registered on the log. Verifies with libsodium (PyNaCl), about twice
    as fast as OpenSSL through ``cryptography`` on this project's events (bench/bench_verify.py)."""

    def __init__(self, key_id: str, public_key: Ed25519PublicKey):
        self.key_id = key_id
        self._raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def from_text(cls, key_id: str, text: str) -> VerifyKey:
        try:
            return cls(key_id, Ed25519PublicKey.from_public_bytes(_unb64(text)))
        except ValueError as exc:
            raise SignatureInvalid(f"public key {key_id!r} is not a valid Ed25519 key") from exc

    @property
    def text(self) -> str:
        return _b64(self._raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (64 bytes) is this key's over ``data``."""
        if len(signature) != SIGNATURE_BYTES:
            return False
        try:
            crypto_sign_open(signature + data, self._raw)
        except BadSignatureError:
            return False
        return True


class SigningKey:
    """A body's private key; the key id names it in every event it signs. Signs with libsodium
    (PyNaCl): the same signatures as OpenSSL's (Ed25519 is deterministic) at about two thirds of
    the cost (bench/bench_verify.py); ``cryptography`` keeps the key's files (PEM)."""

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey):
        self.key_id = key_id
        self._key = private_key
        seed = private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        self._sodium = crypto_sign_seed_keypair(seed)[1]

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, key_id: str, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"key {key_id!r} is not an Ed25519 private key")
        return cls(key_id, key)

    def to_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def verify_key(self) -> VerifyKey:
        return VerifyKey(self.key_id, self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        return crypto_sign(data, self._sodium)[:SIGNATURE_BYTES]


_AFTER_SIGNATURE = b',"source_body":'
"""In sorted order "signature" comes just before "source_body", which every envelope has; nothing
after that key (a body id, then the subject) can contain this sequence, so its last occurrence
is where the signature goes."""


def sign_to_wire(event: Envelope[Any], key: SigningKey) -> tuple[str, bytes]:
    """``key``'s signature of ``event`` and the event's signed canonical bytes, serialised once."""
    return sign_fields(unsigned_fields(event, key), key)


def unsigned_fields(event: Envelope[Any], key: SigningKey) -> dict[str, Any]:
    """What ``key`` signs of ``event``, as JSON-ready fields: all it has but the signature."""
    unsigned = event.model_dump(mode="json", exclude={"signature"}, exclude_unset=True)
    unsigned["key_id"] = key.key_id
    return unsigned


SIGNATURE_FIELD_BYTES = len(b',"signature":""') + 88
"""What the signature adds to the canonical bytes: its key and 64 bytes in base64."""


def sign_fields(unsigned: dict[str, Any], key: SigningKey) -> tuple[str, bytes]:
    """``key``'s signature of the fields ``unsigned_fields`` gave and their signed canonical bytes."""
    message = canonical_json(unsigned)
    signature = _b64(key.sign(message))
    at = message.rfind(_AFTER_SIGNATURE)
    wire = b"".join((message[:at], b',"signature":"', signature.encode("ascii"), b'"', message[at:]))
    return signature, wire


def sign_event(event: E, key: SigningKey) -> E:
    """A copy of ``event`` stamped with ``key``'s id and its signature over the canonical bytes."""
    signature, wire = sign_to_wire(event, key)
    stamped = event.model_copy(update={"key_id": key.key_id, "signature": signature})
    stamped._wire = wire
    return stamped


def verify_event(event: Envelope[Any], key: VerifyKey) -> None:
    """Raise SignatureInvalid, saying what failed, unless ``key`` signed exactly this event."""
    name = f"{event.event_type} event {event.event_id}"
    if event.signature is None:
        raise SignatureInvalid(f"{name} is not signed")
    if event.key_id != key.key_id:
        raise SignatureInvalid(f"{name} was signed with key {event.key_id!r}, not {key.key_id!r}")
    signature = _signature_bytes(event.signature)
    if signature is None:
        raise SignatureInvalid(f"{name} has a malformed signature (not 64 bytes of base64url)")
    if not key.verify(signature, _signed_bytes(event)):
        raise SignatureInvalid(
            f"signature of {name} by key {key.key_id!r} does not match its content:"
            " the event was changed after signing, or signed by another key"
        )


def _signature_bytes(text: str) -> bytes | None:
    try:
        raw = _unb64(text)
    except ValueError:
        return None
    return raw if len(raw) == 64 and _b64(raw) == text else None


def _signed_bytes(event: Envelope[Any]) -> bytes:
    """What the signature covers: the bytes as read or signed, without the signature."""
    wire = event.wire
    if wire is None:
        return canonical_bytes(event)
    data = from_json(wire)
    data.pop("signature", None)
    return canonical_json(data)
