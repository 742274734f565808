"""The audit questions, answered from what the log and the inboxes say."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from projections.clues import clue_custody, clues
from projections.inbox import inbox
from projections.log_index import log_events
from projections.record_views import record_views


def custody(conn: Connection, clue_id: str) -> list[dict[str, Any]]:
    """Who held clue ``clue_id``, and when: each spell from ``since`` until the next one starts
    (``until`` is None for the current holder)."""
    query = (
        select(clue_custody).where(clue_custody.c.clue_id == clue_id).order_by(clue_custody.c.entry_version)
    )
    spells = [dict(r._mapping) for r in conn.execute(query)]
    for spell, following in zip(spells, [*spells[1:], None], strict=False):
        spell["until"] = following["since"] if following else None
        del spell["entry_version"]
    return spells


def in_register(conn: Connection, clue_id: str) -> bool:
    """Whether the clue register has a row for ``clue_id`` (a grading, say, without its receipt)."""
    return conn.execute(select(clues.c.clue_id).where(clues.c.clue_id == clue_id)).first() is not None


def logged_event(conn: Connection, event_id: str) -> dict[str, Any] | None:
    """Where and when the bus logged event ``event_id``, and who said it."""
    row = conn.execute(select(log_events).where(log_events.c.event_id == event_id)).first()
    return dict(row._mapping) if row else None


def recipients(conn: Connection, event_id: str) -> list[dict[str, Any]]:
    """Which bodies received event ``event_id``, when, why, and what was withheld from each."""
    columns = (inbox.c.recipient, inbox.c.delivered_at, inbox.c.reasons, inbox.c.redacted)
    query = select(*columns).where(inbox.c.event_id == event_id).order_by(inbox.c.recipient)
    return [dict(r._mapping) for r in conn.execute(query)]


def knowledge(
    conn: Connection, body_id: str, as_of: datetime | None, valid_at: datetime | None = None
) -> list[dict[str, Any]]:
    """What body ``body_id`` knew as of ``as_of`` (knowledge time): every delivery it had received by
    then (everything, without ``as_of``), in the order delivered; with ``valid_at`` (event time),
    only the facts that had occurred by then."""
    query = select(inbox).where(inbox.c.recipient == body_id)
    if as_of is not None:
        query = query.where(inbox.c.delivered_at <= as_of)
    if valid_at is not None:
        query = query.where(inbox.c.occurred_at <= valid_at)
    query = query.order_by(inbox.c.delivered_at, inbox.c.event_id)
    return [dict(r._mapping) for r in conn.execute(query)]


def viewers(conn: Connection, record: str, record_id: str) -> list[dict[str, Any]]:
    """Who opened ``record`` (clue or dossier) ``record_id`` on the dashboards, oldest first."""
    v = record_views.c
    query = select(record_views).where(v.record == record, v.record_id == record_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(v.viewed_at, v.event_id))]


def viewed_by(conn: Connection, viewer: str) -> list[dict[str, Any]]:
    """Every clue and dossier the person ``viewer`` opened on the dashboards, oldest first."""
    v = record_views.c
    query = select(record_views).where(v.viewer == viewer).order_by(v.viewed_at, v.event_id)
    return [dict(r._mapping) for r in conn.execute(query)]
