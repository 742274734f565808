"""One batch of log and inbox records, applied with the offsets reached in one transaction."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from projections.changes import Change, Insert, id_text
from projections.db import insert_ignoring_duplicates, metadata, save_positions
from projections.dispatch import NOT_INDEXED, changes_for
from projections.inbox import inbox, inbox_row
from projections.log_index import log_events, logged
from projections.writer import write_changes
from schemas import Envelope, EventError, Topics, decode_logged
from schemas.catalogue import PROTECTED_FIELDS
from schemas.records import Delivery
from schemas.seal import Headers, Seal, refused

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

integrity_failures = Table(
    "integrity_failures",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("length", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
)
"""Records refused because the bus did not write them (unsealed, bad seal, wrong recipient): their
place, length and digest, never their content, which may be anyone's."""


@dataclass(frozen=True)
class Intake:
    """What the projector takes in: the log and inbox records the router sealed, nothing else."""

    topics: Topics
    seal: Seal

    def refusal(self, record: Record) -> str | None:
        """Why ``record`` is not the bus's, or None."""
        return self.seal.refusal(record.topic, record.key, record.value, record.headers)


@dataclass(frozen=True)
class Record:
    """What the projector needs of a Kafka record."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    value: bytes
    key: bytes | None = None
    headers: Headers = field(default_factory=tuple)


def record_time(record: Record) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


def apply_batch(
    conn: Connection, records: list[Record], intake: Intake, positions: dict[tuple[str, int], int]
) -> int:
    """Apply the sealed ``records`` and save ``positions`` in the open transaction; returns events applied."""
    changes: list[Change] = []
    bad: list[dict[str, Any]] = []
    bad_seals: list[dict[str, Any]] = []
    records = _sealed(records, intake, bad_seals)
    log_topic = intake.topics.log
    events = _read_events([r for r in records if r.topic == log_topic], bad)
    fresh = _not_yet_applied(conn, events)
    for event, record in fresh:
        try:
            changes.extend(changes_for(event))
        except (ValueError, KeyError, AttributeError) as exc:
            _unreadable(bad, record, f"projection failed: {described(exc, event.event_type)}")
            continue
        changes.append(logged(event, record.partition, record.offset, record_time(record)))
    for record in records:
        if record.topic != log_topic:
            try:
                delivery = Delivery.model_validate_json(record.value)
            except (ValidationError, KeyError, ValueError, AttributeError) as exc:
                _unreadable(bad, record, f"not a delivery: {described(exc, None)}")
                continue
            if delivery.recipient != intake.topics.body_of(record.topic):
                bad_seals.append(_integrity_row(record, "wrong_recipient"))
                continue
            changes.append(Insert(inbox, inbox_row(delivery, record_time(record))))
    write_changes(conn, changes)
    insert_ignoring_duplicates(conn, unreadable, bad)
    insert_ignoring_duplicates(conn, integrity_failures, bad_seals)
    save_positions(conn, positions)
    return len(fresh)


def _sealed(records: list[Record], intake: Intake, failures: list[dict[str, Any]]) -> list[Record]:
    """The records the router sealed; the place and digest of any other go to ``failures``."""
    out = []
    for record in records:
        reason = intake.refusal(record)
        if reason is None:
            out.append(record)
        else:
            failures.append(_integrity_row(record, reason))
    return out


def _integrity_row(record: Record, reason: str) -> dict[str, Any]:
    refused("projector", reason, record.topic, record.partition, record.offset)
    value = record.value or b""
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "reason": reason,
        "length": len(value),
        "sha256": hashlib.sha256(value).hexdigest(),
    }


def _read_events(records: list[Record], bad: list[dict[str, Any]]) -> list[tuple[Envelope[Any], Record]]:
    out = []
    for record in records:
        try:
            out.append((decode_logged(record.value), record))
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


def described(exc: Exception, event_type: str | None) -> str:
    """An error as the logs and ``unreadable_records`` keep it: never the values it was about
    (pydantic's input, a protected field's content)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
    if event_type is None or event_type in PROTECTED_FIELDS:
        return type(exc).__name__
    return repr(exc)


def _unreadable(bad: list[dict[str, Any]], record: Record, error: str) -> None:
    log.error("unreadable record %s/%d@%d: %s", record.topic, record.partition, record.offset, error)
    bad.append(
        {"topic": record.topic, "partition": record.partition, "offset": record.offset, "error": error}
    )
