"""Time on the log: the bus's own clock."""

from __future__ import annotations

from pydantic import Field

from schemas.envelope import Payload
from schemas.types import UtcDateTime


class ClockTicked(Payload):
    """Published by the bus's clock so deadlines fire on event time, also in a replay."""

    receivers = "no inbox: the router's deadline checks"
    tick_at: UtcDateTime = Field(description="The instant this tick stands for.")
