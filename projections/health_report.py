"""The integration-health answer for one body (or every body, for leadership) and one period."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from projections.health import clue_steps, obligation_bodies, obligations
from projections.log_index import log_events

KINDS = ("briefing", "report", "rectification", "acknowledgement", "notification", "clue_wait")
"""Obligations the answer counts, in the order it lists them."""


def integration_health(
    conn: Connection, body_id: str | None, start: datetime | None, end: datetime | None
) -> dict[str, Any]:
    """Per kind of obligation that fell due (or began, or was met, lacking a due time) in [start, end):
    how many, met on time, met late, overdue and still open, open, and the mean wait in hours."""
    tally: dict[str, dict[str, Any]] = {k: _empty() for k in KINDS}
    for row in _obligations(conn, body_id):
        when = row["due_at"] or row["started_at"] or row["done_at"]
        if row["kind"] not in tally or not _within(when, start, end):
            continue
        _count(tally[row["kind"]], row["started_at"], row["due_at"], row["done_at"], row["overdue_at"])
    for started, done in _clue_waits(conn, body_id):
        if _within(started, start, end):
            _count(tally["clue_wait"], started, None, done, None)
    return {
        "body_id": body_id,
        "start": start,
        "end": end,
        "kinds": [{"kind": k, **_finish(tally[k])} for k in KINDS],
    }


def _obligations(conn: Connection, body_id: str | None) -> list[dict[str, Any]]:
    """The obligations of ``body_id`` (of everyone, if None); a notification counts as made when the
    bus logged it (knowledge time), since its event time is its finding's by construction."""
    logged = select(log_events.c.event_id, log_events.c.logged_at).subquery()
    query = select(obligations, logged.c.logged_at).outerjoin(
        logged, logged.c.event_id == obligations.c.event_id
    )
    if body_id is not None:
        query = query.join(
            obligation_bodies,
            and_(
                obligation_bodies.c.kind == obligations.c.kind,
                obligation_bodies.c.item_id == obligations.c.item_id,
            ),
        ).where(obligation_bodies.c.body_id == body_id)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        if row["kind"] == "notification" and row["logged_at"] is not None:
            row["done_at"] = row["logged_at"]
    return rows


def _clue_waits(conn: Connection, body_id: str | None) -> list[tuple[datetime, datetime | None]]:
    """(transferred at, first act after it) for each transfer to ``body_id`` (to anyone, if None)."""
    steps: dict[str, list[tuple[datetime, str, str, str | None]]] = defaultdict(list)
    for r in conn.execute(select(clue_steps)):
        steps[r.clue_id].append((r.at, r.event_id, r.step, r.to_body))
    out = []
    for clue in steps.values():
        clue.sort()
        for n, (at, _, step, to_body) in enumerate(clue):
            if step != "transfer" or (body_id is not None and to_body != body_id):
                continue
            later = [s[0] for s in clue[n + 1 :]]
            out.append((at, later[0] if later else None))
    return out


def _empty() -> dict[str, Any]:
    return {"total": 0, "on_time": 0, "late": 0, "overdue_open": 0, "open": 0, "waits": []}


def _count(
    t: dict[str, Any],
    started: datetime | None,
    due: datetime | None,
    done: datetime | None,
    overdue: datetime | None,
) -> None:
    t["total"] += 1
    if done is None:
        t["overdue_open" if overdue is not None else "open"] += 1
        return
    late = overdue is not None or (due is not None and done > due)
    t["late" if late else "on_time"] += 1
    if started is not None:
        t["waits"].append((done - started).total_seconds() / 3600)


def _finish(t: dict[str, Any]) -> dict[str, Any]:
    waits = t.pop("waits")
    t["mean_wait_hours"] = round(sum(waits) / len(waits), 2) if waits else None
    return t


def _within(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return start is None and end is None
    return (start is None or moment >= start) and (end is None or moment < end)
