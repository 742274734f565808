"""What the router writes besides events: deliveries to inboxes and quarantined input."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.types import BodyId, UtcDateTime

_RECORD = ConfigDict(frozen=True, extra="forbid")


class Delivery(BaseModel):
    """One event as delivered to one body's inbox, with why it was sent and what was withheld."""

    model_config = _RECORD

    recipient: BodyId
    reasons: tuple[str, ...]
    redacted: tuple[str, ...] = ()
    """Dotted paths removed for this recipient; the source signature then covers the original."""
    event: dict[str, Any]


class Quarantined(BaseModel):
    """Input the router refused, kept forever with the reason, never silently dropped."""

    model_config = _RECORD

    reason: str
    """Short code: invalid, unknown_type, too_large, not_canonical, bad_signature, unknown_key,
    revoked_key, unauthorised, unknown_subject, future_dated, duplicate_id_reuse, unknown_clue,
    not_holder, wrong_matter, out_of_order, unencrypted_protected, output_too_large, duplicate_id,
    router_error."""
    detail: str
    source_topic: str
    partition: int
    offset: int
    received_at: UtcDateTime
    event_id: str | None = None
    event_type: str | None = None
    raw: str
    """The first bytes refused (at most 512), decoded as UTF-8 with replacement characters."""
    raw_length: int | None = None
    """How many bytes were refused in all."""
    raw_sha256: str | None = None
    """SHA-256 of all the refused bytes, to match them with the publisher's copy."""
