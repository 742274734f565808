"""The bus's account of an event it refused from a sender it could authenticate."""

from __future__ import annotations

import uuid

from pydantic import Field

from schemas.envelope import MAX_SEQUENCE, Payload
from schemas.types import BodyId, Text


class EventRefused(Payload):
    """Derived: the router refused an event whose signature proved who sent it. The sender learns
    why, and its sequence number is accounted for on the log, so its next event follows on."""

    receivers = "the body that sent the refused event"
    refused_event_id: uuid.UUID
    refused_event_type: str = Field(max_length=100)
    sender: BodyId
    sequence: int | None = Field(None, ge=1, le=MAX_SEQUENCE, description="The refused event's number.")
    reason: str = Field(max_length=40, description="The refusal's code, as in the quarantine.")
    detail: Text
