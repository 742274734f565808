"""The inbox read model: what each body received, one row per body and event."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Engine, String, Table, Text, select

from projections.db import metadata
from schemas.records import Delivery

inbox = Table(
    "inbox",
    metadata,
    Column("recipient", String(64), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("source_body", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(80), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("correlation_id", String(128), nullable=False),
    Column("reasons", String(255), nullable=False),
    Column("redacted", String(255), nullable=False),
    Column("payload", Text, nullable=False),
)


def inbox_row(delivery: Delivery) -> dict[str, Any]:
    """The row a delivery becomes; a pure function so it is tested without a database."""
    event = delivery.event
    subject = event["subject"]
    return {
        "recipient": delivery.recipient,
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "source_body": event["source_body"],
        "occurred_at": datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")),
        "subject": f"{subject['kind']}:{subject['id']}",
        "classification": event["classification"],
        "correlation_id": event["correlation_id"],
        "reasons": ",".join(delivery.reasons),
        "redacted": ",".join(delivery.redacted),
        "payload": json.dumps(event["payload"], ensure_ascii=False, sort_keys=True),
    }


def inbox_of(engine: Engine, body_id: str) -> list[dict[str, Any]]:
    """A body's inbox, oldest first."""
    query = select(inbox).where(inbox.c.recipient == body_id).order_by(inbox.c.occurred_at, inbox.c.event_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
