"""The wire form of a protected field's value once sealed for the bodies allowed to read it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from schemas.envelope import STRICT
from schemas.types import BodyId, KeyId, PublicKey

ALGORITHM = "x25519-hkdf-sha256-aes256gcm"
"""X25519 with a fresh ephemeral key per value, HKDF-SHA256 per recipient key, AES-256-GCM."""

PROTECTED: dict[str, Any] = {"protected": True}
"""``json_schema_extra`` marking a payload field protected: the SDK seals it, the router withholds
it from bodies that may not read it (schemas.catalogue.PROTECTED_FIELDS lists them)."""

_B64 = r"^[A-Za-z0-9_-]+={0,2}$"


class WrappedKey(BaseModel):
    """The value's content key, encrypted for one registered encryption key of one body."""

    model_config = STRICT
    body_id: BodyId
    key_id: KeyId
    wrapped: str = Field(pattern=_B64, max_length=80, description="AES-GCM of the 32-byte content key.")


class Sealed(BaseModel):
    """A protected value: AES-256-GCM under a random content key, bound to its event id and field
    path, with the content key wrapped for each recipient key."""

    model_config = STRICT
    sealed: Literal["x25519-hkdf-sha256-aes256gcm"]
    ephemeral: PublicKey = Field(description="The sender's one-off X25519 public key, base64url.")
    nonce: str = Field(pattern=_B64, max_length=24)
    ciphertext: str = Field(pattern=_B64, max_length=12_000)
    recipients: tuple[WrappedKey, ...] = Field(min_length=1, max_length=64)

    def readers(self) -> set[str]:
        """The bodies this value is sealed for."""
        return {r.body_id for r in self.recipients}
