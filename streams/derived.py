"""How the bus words a derived event: deterministic id, the bus as source, the cause's time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from schemas import Envelope, Payload, Subject, new_event
from schemas.enums import Classification, Handling
from streams.registry import Registry
from streams.state import BusState

DERIVED_NAMESPACE = uuid.UUID("0b7f5b0e-5c1d-4f0e-9a51-6c2f5f3d8e21")


@dataclass(frozen=True)
class Policy:
    """The settings of the derived flows."""

    bus_body: str = "bus"
    systemic_min_units: int = 3
    """A finding category at this many units within the window is a systemic issue..."""
    systemic_min_regions: int = 3
    """...or at this many regions."""
    systemic_window: timedelta = timedelta(days=30)
    systemic_min_sectors: int = 3
    """...or in this many sectors (systems)."""
    rectification_period: timedelta = timedelta(days=60)
    """An inspection finding's rectification is due this long after the round ends (or the report)."""
    report_grace: timedelta = timedelta(days=5)
    """A regular report may come this long after its period ends, unless its relation sets another."""


Derivation = Callable[[Envelope[Any], Registry, BusState, Policy], list[Envelope[Any]]]
"""(event, registry, state before the event, policy) -> unsigned derived events."""


def derived_id(cause: Envelope[Any], event_type: str, discriminator: str) -> uuid.UUID:
    """The same cause always derives the same event id: replays and retries repeat, not add."""
    return uuid.uuid5(DERIVED_NAMESPACE, f"{cause.event_id}:{event_type}:{discriminator}")


def derived(
    cause: Envelope[Any],
    payload: Payload,
    policy: Policy,
    *,
    discriminator: str = "",
    subject: Subject | None = None,
    correlation_id: str | None = None,
    classification: Classification | None = None,
    handling: Handling | None = None,
) -> Envelope[Any]:
    """An unsigned event the bus derives from ``cause``, at the cause's event time."""
    return new_event(
        payload,
        source_body=policy.bus_body,
        occurred_at=cause.occurred_at,
        subject=subject or cause.subject,
        classification=classification or cause.classification,
        handling=handling or cause.handling,
        correlation_id=correlation_id or cause.correlation_id,
        causation_id=cause.event_id,
        event_id=derived_id(cause, payload.event_type, discriminator),
    )
