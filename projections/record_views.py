"""Who looked at what: one row per clue or dossier a person opened on the dashboards (RecordViewed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, String, Table

from projections.changes import Change, Insert, id_text
from projections.db import UtcDateTime, metadata
from schemas import Envelope

record_views = Table(
    "record_views",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("viewer", String(64), nullable=False),
    Column("viewer_body", String(64), nullable=False),
    Column("record", String(16), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("viewed_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Index("ix_record_views_record", "record", "record_id", "viewed_at"),
    Index("ix_record_views_viewer", "viewer", "viewed_at"),
)
"""``recorded_by`` is the dashboard body that signed the record."""


def record_viewed(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "event_id": id_text(event.event_id),
        "viewer": p.viewer,
        "viewer_body": p.viewer_body,
        "record": str(p.record),
        "record_id": p.record_id,
        "viewed_at": event.occurred_at,
        "recorded_by": event.source_body,
    }
    return [Insert(record_views, row)]


HANDLERS = {"RecordViewed": record_viewed}
