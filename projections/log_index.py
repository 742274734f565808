"""The log index: one row per event on the canonical log (no payload), and where it sits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, Table

from projections.changes import Insert, id_text
from projections.db import UtcDateTime, metadata
from schemas import Envelope

log_events = Table(
    "log_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("source_body", String(64), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("subject", String(80), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("handling", String(24), nullable=False),
    Column("correlation_id", String(128), nullable=False),
    Column("causation_id", String(36)),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("logged_at", UtcDateTime, nullable=False),
)
"""Also how the projector knows an event was applied: a second copy on the log is skipped."""


def logged(event: Envelope[Any], partition: int, offset: int, logged_at: datetime) -> Insert:
    row = {
        "event_id": id_text(event.event_id),
        "event_type": event.event_type,
        "source_body": event.source_body,
        "occurred_at": event.occurred_at,
        "subject": f"{event.subject.kind}:{event.subject.id}",
        "classification": str(event.classification),
        "handling": str(event.handling),
        "correlation_id": event.correlation_id,
        "causation_id": str(event.causation_id) if event.causation_id else None,
        "partition": partition,
        "offset": offset,
        "logged_at": logged_at,
    }
    return Insert(log_events, row)
