"""Which projection handles which event type: one table anyone can grep, merged from each read model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections import (
    clues,
    dossier,
    health,
    inspections,
    oversight,
    plans,
    record_views,
    rectifications,
    reference,
    systemic,
)
from projections.changes import Change
from schemas import Envelope

Handler = Callable[[Envelope[Any]], list[Change]]

HANDLERS: dict[str, list[Handler]] = {}
_MODULES = (
    reference,
    clues,
    dossier,
    rectifications,
    inspections,
    systemic,
    oversight,
    plans,
    health,
    record_views,
)
for _module in _MODULES:
    for _event_type, _handler in _module.HANDLERS.items():
        HANDLERS.setdefault(_event_type, []).append(_handler)

LOG_ONLY = frozenset(
    {
        "SigningKeyRegistered",
        "SigningKeyRevoked",
        "EncryptionKeyRegistered",
        "EncryptionKeyRevoked",
        "ReportingCadenceSet",
        "PassOnConsented",
        "ProgressReportIssued",
        "EventRefused",
    }
)
"""In the log index and the inboxes of those they reach, but in no shared read model."""

NOT_INDEXED = frozenset({"ClockTicked"})
"""On the log many times an hour and of no use to a read model: ticks drive the router's deadlines."""


def changes_for(event: Envelope[Any]) -> list[Change]:
    """Every row change ``event`` makes to the shared read models; none for an unhandled type."""
    return [change for handler in HANDLERS.get(event.event_type, ()) for change in handler(event)]
