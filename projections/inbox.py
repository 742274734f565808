"""The inbox read model: what each body received, one row per body and event, as delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Column, Engine, Index, String, Table, Text, select

from projections.db import UtcDateTime, metadata
from schemas.records import Delivery

inbox = Table(
    "inbox",
    metadata,
    Column("recipient", String(64), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("source_body", String(64), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("subject", String(80), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("handling", String(24), nullable=False),
    Column("correlation_id", String(128), nullable=False),
    Column("reasons", String(255), nullable=False),
    Column("redacted", String(255), nullable=False),
    Column("payload", Text, nullable=False),
    Column("clue_id", String(64)),
    Column("delivered_at", UtcDateTime),
    Index("ix_inbox_event", "event_id"),
    Index("ix_inbox_clue", "clue_id", "recipient"),
    Index("ix_inbox_recipient_time", "recipient", "occurred_at"),
)
"""``payload`` is the payload as delivered (JSON, keys in the order of the record), with what the
recipient may not see withheld;
``delivered_at`` is when the router put it in the inbox topic (the record's timestamp)."""


def inbox_row(delivery: Delivery, delivered_at: datetime | None = None) -> dict[str, Any]:
    """The row a delivery becomes; a pure function so it is tested without a database."""
    event = delivery.event
    subject = event["subject"]
    payload = event["payload"]
    return {
        "recipient": delivery.recipient,
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "source_body": event["source_body"],
        "occurred_at": datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")),
        "subject": f"{subject['kind']}:{subject['id']}",
        "classification": event["classification"],
        "handling": event.get("handling", ""),
        "correlation_id": event["correlation_id"],
        "reasons": ",".join(delivery.reasons),
        "redacted": ",".join(delivery.redacted),
        "payload": to_json(payload).decode("utf-8"),
        "clue_id": payload.get("clue_id") if isinstance(payload, dict) else None,
        "delivered_at": delivered_at,
    }


def inbox_of(engine: Engine, body_id: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """A body's inbox, oldest first; with ``as_of``, only what had been delivered by then."""
    query = select(inbox).where(inbox.c.recipient == body_id)
    if as_of is not None:
        query = query.where(inbox.c.delivered_at <= as_of)
    query = query.order_by(inbox.c.occurred_at, inbox.c.event_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
