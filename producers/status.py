"""Where one event is on its way to the bus: the answer to "was it delivered?"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"
    """Accepted (stored in the outbox, or handed to Kafka) and not yet acknowledged."""
    SENT = "sent"
    """Acknowledged by every in-sync replica of the body's ingest topic."""
    FAILED = "failed"
    """Given up on: the broker refused it for good (e.g. too large); see ``last_error``."""
    UNKNOWN = "unknown"
    """This publisher never accepted an event with that id (or has forgotten it)."""


@dataclass(frozen=True)
class DeliveryStatus:
    event_id: uuid.UUID
    state: DeliveryState
    attempts: int = 0
    last_error: str | None = None
    partition: int | None = None
    offset: int | None = None
    sent_at: float | None = None
    """Unix time of the broker's acknowledgement."""

    @property
    def delivered(self) -> bool:
        return self.state is DeliveryState.SENT
