"""Field-level confidentiality: seal a protected value for its readers' keys, open it with one of them.

The one entry point for the SDK (``seal_protected``), the read API (``open_protected``) and the
tools (``EncryptionKey``, ``RecipientKey``, ``Keyring``). A value is encrypted once with AES-256-GCM
under a random content key; the content key is wrapped for each recipient key with X25519 (one
ephemeral key per value) and HKDF-SHA256. Both layers take the event id and the field path as
associated data, so a sealed value cut from one event and pasted into another does not open.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic_core import from_json, to_json

from schemas.catalogue import PROTECTED_FIELDS
from schemas.ciphertext import ALGORITHM, Sealed, WrappedKey
from schemas.envelope import Envelope

__all__ = [
    "CannotOpen",
    "EncryptionKey",
    "Keyring",
    "RecipientKey",
    "clear_protected",
    "is_protected",
    "open_protected",
    "open_value",
    "seal_protected",
    "seal_value",
    "withhold_raw",
]

_ZERO_NONCE = bytes(12)  # each key-encryption key wraps exactly one content key


class CannotOpen(ValueError):
    """Raised when a sealed value is not for any key held, or fails its integrity check."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class RecipientKey:
    """A body's registered X25519 public key: what a value is sealed to."""

    body_id: str
    key_id: str
    public: bytes

    @classmethod
    def from_text(cls, body_id: str, key_id: str, text: str) -> RecipientKey:
        raw = _unb64(text)
        X25519PublicKey.from_public_bytes(raw)  # raises ValueError unless 32 bytes
        return cls(body_id, key_id, raw)

    @property
    def text(self) -> str:
        return _b64(self.public)


class EncryptionKey:
    """A body's X25519 private key, named by its key id (``city-letters:enc:1``)."""

    def __init__(self, body_id: str, key_id: str, private: X25519PrivateKey):
        self.body_id, self.key_id, self._private = body_id, key_id, private

    @classmethod
    def generate(cls, body_id: str, key_id: str) -> EncryptionKey:
        return cls(body_id, key_id, X25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, body_id: str, key_id: str, pem: bytes) -> EncryptionKey:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, X25519PrivateKey):
            raise ValueError(f"{key_id}: not an X25519 private key")
        return cls(body_id, key_id, private)

    def to_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def recipient(self) -> RecipientKey:
        return RecipientKey(self.body_id, self.key_id, _raw(self._private.public_key()))

    def exchange(self, public: bytes) -> bytes:
        return self._private.exchange(X25519PublicKey.from_public_bytes(public))


@dataclass
class Keyring:
    """The private keys one process holds, current and retired, by body and key id."""

    keys: dict[str, dict[str, EncryptionKey]] = field(default_factory=dict)

    def add(self, key: EncryptionKey) -> None:
        self.keys.setdefault(key.body_id, {})[key.key_id] = key

    def holds(self, body_id: str) -> bool:
        return bool(self.keys.get(body_id))

    def of(self, body_id: str) -> Mapping[str, EncryptionKey]:
        return self.keys.get(body_id, {})


def _context(event_id: uuid.UUID, path: str) -> bytes:
    return b"fourfold-field-v1\x00" + event_id.bytes + b"\x00" + path.encode("utf-8")


def _kek(shared: bytes, ephemeral: bytes, recipient: RecipientKey, context: bytes) -> bytes:
    info = context + b"\x00" + recipient.body_id.encode() + b"\x00" + recipient.key_id.encode()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient.public, info=info)
    return hkdf.derive(shared)


def seal_value(value: Any, recipients: Iterable[RecipientKey], *, event_id: uuid.UUID, path: str) -> Sealed:
    """``value`` (JSON-able) encrypted for every key in ``recipients``, bound to event and path."""
    keys = list({(r.body_id, r.key_id): r for r in recipients}.values())
    if not keys:
        raise ValueError(f"{path}: no recipient key to seal for")
    context = _context(event_id, path)
    content_key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    ciphertext = AESGCM(content_key).encrypt(nonce, to_json(value), context)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    wrapped = []
    for key in keys:
        kek = _kek(
            ephemeral.exchange(X25519PublicKey.from_public_bytes(key.public)), ephemeral_raw, key, context
        )
        wrapped_key = AESGCM(kek).encrypt(_ZERO_NONCE, content_key, context)
        wrapped.append(WrappedKey(body_id=key.body_id, key_id=key.key_id, wrapped=_b64(wrapped_key)))
    return Sealed(
        sealed=ALGORITHM,
        ephemeral=_b64(ephemeral_raw),
        nonce=_b64(nonce),
        ciphertext=_b64(ciphertext),
        recipients=tuple(wrapped),
    )


def open_value(sealed: Sealed, body_id: str, keyring: Keyring, *, event_id: uuid.UUID, path: str) -> Any:
    """The clear value, opened with a key ``keyring`` holds for ``body_id``; raises CannotOpen."""
    context = _context(event_id, path)
    held = keyring.of(body_id)
    for wrapped in sealed.recipients:
        key = held.get(wrapped.key_id) if wrapped.body_id == body_id else None
        if key is None:
            continue
        try:
            ephemeral = _unb64(sealed.ephemeral)
            kek = _kek(key.exchange(ephemeral), ephemeral, key.recipient, context)
            content_key = AESGCM(kek).decrypt(_ZERO_NONCE, _unb64(wrapped.wrapped), context)
            return from_json(
                AESGCM(content_key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), context)
            )
        except (InvalidTag, ValueError):
            raise CannotOpen(f"{path} of event {event_id} fails its integrity check for {body_id}") from None
    raise CannotOpen(f"{path} of event {event_id} is not sealed for a key of {body_id} held here")


PROTECTED_NAMES = frozenset(p.removeprefix("payload.") for paths in PROTECTED_FIELDS.values() for p in paths)


def is_protected(path: str) -> bool:
    """Whether a dotted field path (``payload.informant.name``, ``informant``) lies in a protected
    field of any event type: an error about it must not echo its value."""
    parts = path.split(".")
    return bool(PROTECTED_NAMES & {parts[0], parts[1] if len(parts) > 1 else ""}) if parts else False


def seal_protected(event: Envelope[Any], recipients: Iterable[RecipientKey]) -> Envelope[Any]:
    """``event`` with every clear protected payload field sealed for ``recipients``."""
    keys = list(recipients)
    updates = {}
    for path in PROTECTED_FIELDS.get(event.event_type, ()):
        name = path.removeprefix("payload.")
        value = getattr(event.payload, name)
        if value is None or isinstance(value, Sealed):
            continue
        plain = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        updates[name] = seal_value(plain, keys, event_id=event.event_id, path=path)
    if not updates:
        return event
    return event.model_copy(update={"payload": event.payload.model_copy(update=updates)})


def clear_protected(event: Envelope[Any]) -> tuple[str, ...]:
    """The protected fields of ``event`` that hold a value in clear (for a gate to refuse)."""
    return tuple(
        path
        for path in PROTECTED_FIELDS.get(event.event_type, ())
        if (value := getattr(event.payload, path.removeprefix("payload."))) is not None
        and not isinstance(value, Sealed)
    )


def open_protected(
    event_type: str, event_id: uuid.UUID, payload: dict[str, Any], body_id: str, keyring: Keyring
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A JSON payload with each protected field ``body_id`` can open replaced by its clear value,
    and the paths it could not open (left sealed)."""
    opened, closed = dict(payload), []
    for path in PROTECTED_FIELDS.get(event_type, ()):
        name = path.removeprefix("payload.")
        value = payload.get(name)
        if not isinstance(value, dict) or "sealed" not in value:
            continue
        try:
            sealed = Sealed.model_validate(value, strict=False)
            opened[name] = open_value(sealed, body_id, keyring, event_id=event_id, path=path)
        except (CannotOpen, ValueError):
            closed.append(path)
    return opened, tuple(closed)


WITHHELD = "(withheld: protected field)"


def withhold_raw(raw: bytes) -> bytes:
    """Refused bytes as a quarantine may keep them: a protected field not sealed is replaced by
    WITHHELD; bytes that name a protected field but cannot be read as an event are withheld whole."""
    if not any(name.encode() in raw for name in PROTECTED_NAMES):
        return raw
    try:
        data = from_json(raw)
    except ValueError:
        return WITHHELD.encode()
    payload = data.get("payload") if isinstance(data, dict) else None
    if not isinstance(payload, dict):
        return WITHHELD.encode()
    shown = {
        k: v if k not in PROTECTED_NAMES or v is None or (isinstance(v, dict) and "sealed" in v) else WITHHELD
        for k, v in payload.items()
    }
    return to_json({**data, "payload": shown})
