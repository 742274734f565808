"""Event time for audits: whether a logged or delivered record's event had happened by a moment."""

from __future__ import annotations

from datetime import datetime

from pydantic_core import from_json

from projections.batch import Record


def happened_by(record: Record, log_topic: str, valid_at: datetime) -> bool:
    """Whether ``record`` (a log record, or an inbox delivery) holds an event that occurred at or
    before ``valid_at``; a record that cannot be read is kept, for the projector to judge."""
    try:
        data = from_json(record.value)
        event = data if record.topic == log_topic else data["event"]
        occurred = datetime.fromisoformat(str(event["occurred_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return True
    return occurred <= valid_at
