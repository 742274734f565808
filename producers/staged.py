"""What a publisher hands its delivery: events ready but for their number, or bytes as they are."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.signing import SigningKey, sign_fields


@dataclass(frozen=True, slots=True)
class StagedEvent:
    """An event ready for the wire: validated, numbered, signed and encoded."""

    event_id: uuid.UUID
    event_type: str
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class Prepared:
    """An event checked, sealed and within the size limit, but for its sequence number and so its
    signature: the body's sequencer numbers it where it is stored or sent, so the numbers follow
    that order with no gap, also when an import is run twice."""

    event_id: uuid.UUID
    event_type: str
    key: bytes
    unsigned: dict[str, Any]
    signer: SigningKey

    def numbered(self, sequence: int) -> StagedEvent:
        _, value = sign_fields({**self.unsigned, "sequence": sequence}, self.signer)
        return StagedEvent(self.event_id, self.event_type, self.key, value)


Outgoing = Prepared | StagedEvent
"""A prepared event, or bytes sent unchecked and unnumbered (``Publisher.send_raw``)."""


def to_number(events: Sequence[Outgoing]) -> int:
    return sum(isinstance(e, Prepared) for e in events)


def numbered(events: Sequence[Outgoing], first: int) -> list[StagedEvent]:
    """The events ready for the wire, the prepared ones numbered from ``first`` on, in order."""
    out: list[StagedEvent] = []
    for event in events:
        if isinstance(event, Prepared):
            event, first = event.numbered(first), first + 1
        out.append(event)
    return out
