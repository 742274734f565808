"""The one byte encoding used for signing and hashing: sorted keys, no spaces, UTF-8."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def canonical_json(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_bytes(event: BaseModel, *, signed: bool = False) -> bytes:
    """Canonical bytes of an event; without the signature unless ``signed`` (what is signed)."""
    exclude = None if signed else {"signature"}
    return canonical_json(event.model_dump(mode="json", exclude=exclude))


def event_digest(event: BaseModel) -> str:
    """SHA-256 of the signed canonical form: the event's fingerprint."""
    return hashlib.sha256(canonical_bytes(event, signed=True)).hexdigest()
