"""The bus's own clock: ClockTicked events, the one place the wall clock enters the log."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

from schemas import Envelope, Subject, new_event
from schemas.enums import SubjectKind
from schemas.events.clock import ClockTicked

CLOCK_NAMESPACE = uuid.UUID("3c0e8f4a-6a57-4d0c-8f61-0c1b2a9d7e55")
CLOCK_MATTER = "clock"
"""Every tick has this correlation id (and so partition key): ticks stay in order."""


def clock_tick(at: datetime, bus_body: str, interval: float = 1.0) -> Envelope[ClockTicked]:
    """The unsigned tick for the interval ``at`` falls in; every worker derives the same one."""
    step = interval if interval > 0 else 1.0
    tick_at = datetime.fromtimestamp(math.floor(at.timestamp() / step) * step, UTC)
    return new_event(
        ClockTicked(tick_at=tick_at),
        source_body=bus_body,
        occurred_at=tick_at,
        subject=Subject(kind=SubjectKind.BODY, id=bus_body),
        correlation_id=CLOCK_MATTER,
        event_id=uuid.uuid5(CLOCK_NAMESPACE, f"{bus_body}:{tick_at.isoformat()}"),
    )
