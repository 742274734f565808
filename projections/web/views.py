"""What the pages show, read from the read models for one body: the inbox with its filters, a clue's
history, a round's findings and hand-overs, findings by category over time."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.engine import Connection

from projections import queries
from projections.clues import clues
from projections.dossier import findings
from projections.inbox import inbox

PAGE_SIZE = 200


@dataclass(frozen=True)
class InboxFilter:
    """The inbox page's filters, from its query string; empty means no filter."""

    event_type: str = ""
    unit: str = ""
    since: date | None = None
    until: date | None = None
    search: str = ""
    state: str = ""  # "read", "unread" or ""

    @classmethod
    def parse(cls, params: dict[str, str]) -> InboxFilter:
        return cls(
            event_type=params.get("type", "").strip(),
            unit=params.get("unit", "").strip(),
            since=_day(params.get("since")),
            until=_day(params.get("until")),
            search=params.get("q", "").strip()[:100],
            state=params.get("state", "") if params.get("state") in ("read", "unread") else "",
        )


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def inbox_query(body_id: str, f: InboxFilter, read: set[str]) -> Select[Any]:
    """The body's own inbox rows that pass ``f``; ``read`` is the user's read event ids."""
    c = inbox.c
    query = select(inbox).where(c.recipient == body_id)
    if f.event_type:
        query = query.where(c.event_type == f.event_type)
    if f.unit:
        unit_json = json.dumps(f.unit)
        query = query.where(
            or_(c.subject == f"unit:{f.unit}", c.payload.contains(f'"unit_id":{unit_json}', autoescape=True))
        )
    if f.since:
        query = query.where(c.occurred_at >= datetime.combine(f.since, time.min, UTC))
    if f.until:
        query = query.where(c.occurred_at < datetime.combine(f.until, time.max, UTC))
    if f.search:
        like = f"%{f.search.replace('%', '').replace('_', '')}%"
        fields = (c.event_type, c.source_body, c.subject, c.payload, c.correlation_id)
        query = query.where(or_(*(field.ilike(like) for field in fields)))
    if f.state == "read":
        query = query.where(c.event_id.in_(read or {""}))
    elif f.state == "unread" and read:
        query = query.where(c.event_id.not_in(read))
    return query


def inbox_rows(conn: Connection, body_id: str, f: InboxFilter, read: set[str]) -> list[dict[str, Any]]:
    """Newest first, at most PAGE_SIZE rows, each with its payload parsed and a ``read`` flag."""
    query = inbox_query(body_id, f, read).order_by(inbox.c.occurred_at.desc(), inbox.c.event_id)
    return [_entry(r._mapping, read) for r in conn.execute(query.limit(PAGE_SIZE))]


def inbox_count(conn: Connection, body_id: str, f: InboxFilter, read: set[str]) -> int:
    query = inbox_query(body_id, f, read).with_only_columns(func.count())
    return conn.scalar(query) or 0


def delivered_since(
    conn: Connection, body_id: str, f: InboxFilter, read: set[str], after: datetime
) -> list[dict[str, Any]]:
    """Rows delivered to the body at or after ``after`` that pass the page's filters (live updates)."""
    query = inbox_query(body_id, f, read).where(inbox.c.delivered_at >= after)
    query = query.order_by(inbox.c.delivered_at, inbox.c.event_id).limit(PAGE_SIZE)
    return [_entry(r._mapping, read) for r in conn.execute(query)]


def own_events(conn: Connection, body_id: str, event_ids: list[str]) -> set[str]:
    """Those of ``event_ids`` that are in the body's inbox."""
    query = select(inbox.c.event_id).where(inbox.c.recipient == body_id, inbox.c.event_id.in_(event_ids))
    return set(conn.scalars(query))


def event_types(conn: Connection, body_id: str) -> list[str]:
    query = select(inbox.c.event_type).where(inbox.c.recipient == body_id).distinct()
    return sorted(conn.scalars(query))


def _entry(row: Any, read: set[str]) -> dict[str, Any]:
    entry = dict(row)
    entry["payload"] = json.loads(entry["payload"])
    entry["read"] = entry["event_id"] in read
    kind, _, subject_id = entry["subject"].partition(":")
    entry["unit_id"] = subject_id if kind == "unit" else entry["payload"].get("unit_id")
    entry["summary"] = next(
        (entry["payload"][k] for k in ("summary", "description", "reason", "note", "question", "outcome")
         if isinstance(entry["payload"].get(k), str)),
        "",
    )  # fmt: skip
    return entry


def clue_history(conn: Connection, body_id: str, clue_id: str) -> list[dict[str, Any]]:
    """What the body received about the clue, oldest first, with the grading each fact gave."""
    query = select(inbox).where(inbox.c.recipient == body_id, inbox.c.clue_id == clue_id)
    rows = [_entry(r._mapping, set()) for r in conn.execute(query.order_by(inbox.c.occurred_at))]
    for row in rows:
        row["grading"] = "".join(str(row["payload"].get(k) or "") for k in ("reliability", "credibility"))
    return rows


RECTIFICATION_FACTS = (
    "RectificationRequired",
    "RectificationProgressReported",
    "RectificationCompleted",
    "RectificationVerified",
    "RectificationOverdue",
)


def rectification_histories(
    conn: Connection, body_id: str, wanted: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """The facts about the ``wanted`` rectifications that reached the body, oldest first, by
    rectification (one query). A row's payload is parsed only when the rectification id read from
    its JSON text is wanted: a body may have received a hundred thousand of these facts."""
    query = select(inbox).where(inbox.c.recipient == body_id, inbox.c.event_type.in_(RECTIFICATION_FACTS))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(query.order_by(inbox.c.occurred_at)):
        named = _RECTIFICATION_ID.search(row.payload)
        if named is None or json.loads(named[1]) not in wanted:
            continue
        entry = _entry(row._mapping, set())
        out.setdefault(str(entry["payload"].get("rectification_id")), []).append(entry)
    return out


_RECTIFICATION_ID = re.compile(r'"rectification_id":("(?:[^"\\]|\\.)*")')
"""The rectification id in a payload's JSON text (as the projector writes it: no spaces), quoted."""


def round_follow_up(
    conn: Connection, round_id: str, readable_clues: set[str], covered: set[str]
) -> dict[str, Any]:
    """The round's findings at units the body covers, and those of its clues handed over that the body
    may read (no count of the others: that too would tell what the body has no need to know)."""
    f = findings.c
    found = [
        queries.public(r)
        for r in conn.execute(select(findings).where(f.round_id == round_id).order_by(f.found_at))
        if r.unit_id in covered
    ]
    handed = list(conn.scalars(select(clues.c.clue_id).where(clues.c.round_id == round_id)))
    return {
        "findings": found,
        "handovers": sorted(c for c in handed if c in readable_clues),
    }


def by_month(found: list[dict[str, Any]], moment: str = "found_at") -> tuple[list[str], dict[str, list[int]]]:
    """Findings per category per month: (months, category -> counts per month)."""
    months = sorted({r[moment].strftime("%Y-%m") for r in found if r.get(moment)})
    counts = Counter((r["category"], r[moment].strftime("%Y-%m")) for r in found if r.get(moment))
    categories = sorted({r["category"] for r in found if r.get(moment)})
    return months, {cat: [counts[(cat, m)] for m in months] for cat in categories}
