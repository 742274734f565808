"""Each body numbers its events 1, 2, 3…; the gate holds every sender to its count.

A gap means events of the body never reached the bus: lost before delivery, or deleted from its
ingest topic. A repeat means a second publisher numbers for the body: a copy of its key in other
hands, or a second outbox. Either way the event is refused with the numbers concerned, and the
refusal goes on the log with its number (streams/router.py), so the count moves past it and the
body's next event is accepted; the body learns of it in its inbox and may publish it again.
The bus clock is exempt: every worker's leader derives the same ticks, keyed by their time.
"""

from __future__ import annotations

from typing import Any

from schemas import Envelope
from schemas.catalogue import CLOCK_TYPES


def sequence_problem(event: Envelope[Any], last: int) -> tuple[str, str] | None:
    """Why ``event`` breaks its sender's count, whose highest number so far is ``last``, if it does."""
    if event.event_type in CLOCK_TYPES:
        return None
    number, sender = event.sequence, event.source_body
    if number is None:
        return "sequence_missing", f"event {event.event_id} from {sender!r} carries no sequence number"
    if number <= last:
        return "sequence_repeat", (
            f"{sender!r} already used sequence {number} (the bus has its events up to {last}):"
            " another publisher numbers for this body, a second outbox or a copy of its key"
        )
    if number > last + 1:
        missing = f"{last + 1}" if number == last + 2 else f"{last + 1} to {number - 1}"
        return "sequence_gap", (
            f"{sender!r} sent sequence {number} after {last}: its event(s) {missing} never reached the"
            " bus (lost before delivery, or deleted from its ingest topic)"
        )
    return None
