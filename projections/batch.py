"""One batch of log and inbox records, applied with the offsets reached in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json
from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from projections.changes import Change, Insert, id_text
from projections.db import insert_ignoring_duplicates, metadata, save_positions
from projections.dispatch import NOT_INDEXED, changes_for
from projections.inbox import inbox, inbox_row
from projections.log_index import log_events, logged
from projections.writer import write_changes
from schemas import Envelope, EventError, InvalidEvent, decode_event
from schemas.catalogue import EVENT_TYPES, envelope_for
from schemas.records import Delivery

log = logging.getLogger(__name__)

unreadable = Table(
    "unreadable_records",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("error", Text, nullable=False),
)
"""Records the projector could not read or apply: kept with the error instead of stalling or vanishing."""


@dataclass(frozen=True)
class Record:
    """What the projector needs of a Kafka record."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    value: bytes


def read_logged(raw: bytes) -> Envelope[Any]:
    """An event from the canonical log. The router checked schema and signature before logging it,
    so this only parses; an older schema version goes through the codec and is upcast."""
    try:
        data = from_json(raw)
    except ValueError as exc:
        raise InvalidEvent(f"log record is not JSON: {exc}") from None
    event_type = data.get("event_type") if isinstance(data, dict) else None
    cls = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if cls is None or data.get("schema_version") != cls.schema_version:
        return decode_event(raw, max_bytes=max(len(raw), 1))
    try:
        return envelope_for(cls.event_type).model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"{event_type}: {exc}", event_type=event_type) from None


def record_time(record: Record) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


def apply_batch(
    conn: Connection, records: list[Record], log_topic: str, positions: dict[tuple[str, int], int]
) -> int:
    """Apply ``records`` and save ``positions`` in the open transaction; returns events applied."""
    changes: list[Change] = []
    bad: list[dict[str, Any]] = []
    events = _read_events([r for r in records if r.topic == log_topic], bad)
    fresh = _not_yet_applied(conn, events)
    for event, record in fresh:
        try:
            changes.extend(changes_for(event))
        except (ValueError, KeyError, AttributeError) as exc:
            _unreadable(bad, record, f"projection failed: {exc!r}")
            continue
        changes.append(logged(event, record.partition, record.offset, record_time(record)))
    for record in records:
        if record.topic != log_topic:
            try:
                delivery = Delivery.model_validate_json(record.value)
                changes.append(Insert(inbox, inbox_row(delivery, record_time(record))))
            except (ValidationError, KeyError, ValueError, AttributeError) as exc:
                _unreadable(bad, record, str(exc))
    write_changes(conn, changes)
    insert_ignoring_duplicates(conn, unreadable, bad)
    save_positions(conn, positions)
    return len(fresh)


def _read_events(records: list[Record], bad: list[dict[str, Any]]) -> list[tuple[Envelope[Any], Record]]:
    out = []
    for record in records:
        try:
            out.append((read_logged(record.value), record))
        except EventError as exc:
            _unreadable(bad, record, str(exc))
    return out


def _not_yet_applied(
    conn: Connection, events: list[tuple[Envelope[Any], Record]]
) -> list[tuple[Envelope[Any], Record]]:
    """The events not applied before, once each: a second copy on the log changes nothing."""
    ids = [id_text(e.event_id) for e, _ in events if e.event_type not in NOT_INDEXED]
    seen = (
        set(conn.scalars(select(log_events.c.event_id).where(log_events.c.event_id.in_(ids))))
        if ids
        else set()
    )
    fresh = []
    for event, record in events:
        event_id = id_text(event.event_id)
        if event.event_type in NOT_INDEXED or event_id in seen:
            continue
        seen.add(event_id)
        fresh.append((event, record))
    return fresh


def _unreadable(bad: list[dict[str, Any]], record: Record, error: str) -> None:
    log.error("unreadable record %s/%d@%d: %s", record.topic, record.partition, record.offset, error)
    bad.append(
        {"topic": record.topic, "partition": record.partition, "offset": record.offset, "error": error}
    )
