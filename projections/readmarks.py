"""What each user has marked read in their body's inbox: the user's own state, in the identity database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, String, Table, select

from projections.db import UtcDateTime, insert_ignoring_duplicates
from projections.identity import identity

read_marks = Table(
    "read_marks",
    identity,
    Column("user_id", String(64), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("read_at", UtcDateTime, nullable=False),
)


def mark_read(engine: Engine, user_id: str, event_ids: Iterable[str]) -> None:
    now = datetime.now(UTC)
    rows = [{"user_id": user_id, "event_id": e, "read_at": now} for e in dict.fromkeys(event_ids)]
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, read_marks, rows)


def read_ids(engine: Engine, user_id: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(read_marks.c.event_id).where(read_marks.c.user_id == user_id)))
