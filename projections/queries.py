"""Reading the read models: the register, the dossier, the boards and the aggregates, as plain dicts."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, Column, ColumnElement, Select, String, Table, any_, bindparam, func, select
from sqlalchemy.engine import Connection

from projections.changes import unlisting
from projections.clues import clues
from projections.dossier import cases, findings
from projections.inbox import inbox
from projections.inspections import briefings, consultations, inspection_rounds, round_units
from projections.oversight import oversight_matters
from projections.plans import plan_items, plans
from projections.rectifications import CLOSED, rectifications
from projections.reference import units
from projections.systemic import systemic_issue_units, systemic_issues
from schemas.categories import FindingCategory

LISTS = frozenset(
    {
        "unit_ids",
        "region_ids",
        "finding_ids",
        "sectors",
        "supervising_bodies",
        "participating_bodies",
        "assigned_bodies",
        "notified_bodies",
    }
)


def public(row: Any) -> dict[str, Any]:
    """A row as the outside sees it: no version bookkeeping, list columns as lists."""
    out = {}
    for name, value in row._mapping.items():
        if name.endswith("_version"):
            continue
        out[name] = unlisting(value) if name in LISTS else value
    return out


def _rows(
    conn: Connection,
    table: Table,
    *where: ColumnElement[bool],
    order: Any = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows as ``public`` makes them, at most ``limit``; the columns are sorted out once per query,
    not per row (a dossier reads hundreds of thousands of rows on a large bus)."""
    query = select(table).where(*where).order_by(*(order if order is not None else table.primary_key.columns))
    query = query.limit(limit) if limit is not None else query
    result = conn.execute(query)
    shown = [
        (i, name, name in LISTS) for i, name in enumerate(result.keys()) if not name.endswith("_version")
    ]
    return [
        {name: unlisting(row[i]) if listed else row[i] for i, name, listed in shown} for row in result.all()
    ]


def _rows_in(
    conn: Connection,
    table: Table,
    column: Column[Any],
    ids: Collection[str] | None,
    order: Any = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The rows whose ``column`` is one of ``ids`` (every row when None), in ``order`` (the primary
    key by default), at most ``limit``. PostgreSQL takes the ids as one array parameter; SQLite,
    which has no arrays and takes at most 32,766 parameters a query, in chunks."""
    if ids is None:
        return _rows(conn, table, order=order, limit=limit)
    if conn.dialect.name == "postgresql":
        among = column == any_(bindparam("ids", list(ids), type_=ARRAY(String)))
        return _rows(conn, table, among, order=order, limit=limit)
    columns = list(order if order is not None else table.primary_key.columns)
    wanted = sorted(ids)
    found = [
        row
        for start in range(0, len(wanted), CHUNK)
        for row in _rows(conn, table, column.in_(wanted[start : start + CHUNK]), order=columns)
    ]
    if len(wanted) > CHUNK:
        found.sort(key=lambda row: [(row[c.name] is None, row[c.name] or "") for c in columns])
    return found[:limit]


CHUNK = 10_000
"""Ids per SQLite query."""


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def clue_rows(conn: Connection, clue_ids: Collection[str]) -> list[dict[str, Any]]:
    return _rows_in(conn, clues, clues.c.clue_id, clue_ids)


def board(
    conn: Connection, ids: Collection[str] | None = None, *, first: int | None = None
) -> list[dict[str, Any]]:
    """The rectification board, by deadline (the ``first`` only, if given); ``overdue`` is a notice
    with the work still open."""
    r = rectifications.c
    return _on_board(_rows_in(conn, rectifications, r.rectification_id, ids, order=_BY_DEADLINE, limit=first))


_BY_DEADLINE = (rectifications.c.deadline, rectifications.c.rectification_id)


def _on_board(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["overdue"] = row["overdue_at"] is not None and row["status"] not in CLOSED
    return rows


def rounds(conn: Connection, round_ids: Collection[str]) -> list[dict[str, Any]]:
    """Inspection rounds with the briefings asked for and received, and the consultations: three
    queries however many rounds there are."""
    out = _rows_in(conn, inspection_rounds, inspection_rounds.c.round_id, round_ids)
    asked = _by(_rows_in(conn, briefings, briefings.c.round_id, round_ids), "round_id")
    consulted = _by(_rows_in(conn, consultations, consultations.c.round_id, round_ids), "round_id")
    for row in out:
        row["briefings"] = asked.get(row["round_id"], [])
        row["consultations"] = consulted.get(row["round_id"], [])
    return out


def issues(
    conn: Connection, ids: Collection[str] | None, *, first: int | None = None
) -> list[dict[str, Any]]:
    return _rows_in(conn, systemic_issues, systemic_issues.c.issue_id, ids, limit=first)


def matters(
    conn: Connection, ids: Collection[str] | None, *, first: int | None = None
) -> list[dict[str, Any]]:
    return _rows_in(conn, oversight_matters, oversight_matters.c.matter_id, ids, limit=first)


def how_many(conn: Connection, table: Table, ids: Collection[Any] | None) -> int:
    """How many rows ``ids`` names, or ``table`` holds when it is None (a reader who reads all)."""
    return _count(conn, table) if ids is None else len(ids)


def plan_ids(items: Collection[tuple[str, str]]) -> set[str]:
    return {plan_id for plan_id, _ in items}


def plan_list(
    conn: Connection, items: Collection[tuple[str, str]] | None, *, first: int | None = None
) -> list[dict[str, Any]]:
    """Plans with their items; with ``items``, only those (plan, item) pairs and their plans; with
    ``first``, the first plans only."""
    if items is None:
        wanted = (
            None if first is None else _first(conn, select(plans.c.plan_id).order_by(plans.c.plan_id), first)
        )
    else:
        wanted = sorted(plan_ids(items))[:first]
    every = _by(_rows_in(conn, plan_items, plan_items.c.plan_id, wanted), "plan_id")
    out = []
    for plan in _rows_in(conn, plans, plans.c.plan_id, wanted):
        rows = [
            r
            for r in every.get(plan["plan_id"], [])
            if items is None or (r["plan_id"], r["item_id"]) in items
        ]
        if rows or items is None:
            out.append({**plan, "items": rows})
    return out


def dossier(
    conn: Connection, unit_id: str, reader: str | None = None, *, first: int | None = None
) -> dict[str, Any] | None:
    """Everything the bus knows about one unit, with its political-ecology summary; for ``reader``,
    a restricted finding (confidential, never passed on, passed on only with consent) only if it
    was delivered to that body. With ``first``, every list but the findings (which the chart counts
    by month) holds only its first ``first`` rows: all a page shows of them."""
    unit = conn.execute(select(units).where(units.c.unit_id == unit_id)).first()
    if unit is None:
        return None
    found = _rows(
        conn, findings, findings.c.unit_id == unit_id, order=(findings.c.found_at, findings.c.finding_id)
    )
    if reader is not None:
        found = _delivered_only(conn, found, reader)
    round_ids = select(round_units.c.round_id).where(round_units.c.unit_id == unit_id)
    issue_ids = select(systemic_issue_units.c.issue_id).where(systemic_issue_units.c.unit_id == unit_id)
    return {
        "unit": public(unit),
        "findings_by_category": _by_category(found),
        "findings": found,
        "clues": _rows(conn, clues, clues.c.unit_id == unit_id, limit=first),
        "inspections": rounds(conn, _first(conn, round_ids.order_by(round_units.c.round_id), first)),
        "rectifications": _on_board(
            _rows(conn, rectifications, rectifications.c.unit_id == unit_id, order=_BY_DEADLINE, limit=first)
        ),
        "cases": _rows(conn, cases, cases.c.unit_id == unit_id, limit=first),
        "systemic_issues": issues(
            conn, _first(conn, issue_ids.order_by(systemic_issue_units.c.issue_id), first)
        ),
        "ecology": ecology(conn, unit_id),
    }


def _first(conn: Connection, ids: Select[Any], first: int | None) -> list[str]:
    return list(conn.scalars(ids.limit(first) if first is not None else ids))


def _delivered_only(conn: Connection, found: list[dict[str, Any]], reader: str) -> list[dict[str, Any]]:
    restricted = [r["event_id"] for r in found if r["restricted"]]
    if not restricted:
        return found
    query = select(inbox.c.event_id).where(inbox.c.recipient == reader, inbox.c.event_id.in_(restricted))
    received = set(conn.scalars(query))
    return [r for r in found if not r["restricted"] or r["event_id"] in received]


def _by_category(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for row in found:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    return [_category(name, n) for name, n in sorted(counts.items())]


def _category(name: str, count: int) -> dict[str, Any]:
    known = name in FindingCategory.__members__.values()
    category = FindingCategory(name) if known else None
    return {
        "category": name,
        "label_zh": category.label_zh if category else name,
        "label_en": category.label_en if category else name,
        "count": count,
    }


def _count_by(conn: Connection, column: Any, *where: ColumnElement[bool]) -> dict[str, int]:
    """Rows per value of ``column`` (rows where it is NULL left out), by value."""
    query = select(column, func.count()).where(column.is_not(None), *where).group_by(column)
    return {str(k): n for k, n in sorted(conn.execute(query).all(), key=lambda kv: str(kv[0]))}


def _count(conn: Connection, table: Table, *where: ColumnElement[bool]) -> int:
    return conn.scalar(select(func.count()).select_from(table).where(*where)) or 0


def ecology(conn: Connection, unit_id: str) -> dict[str, Any]:
    """The political-ecology summary of a unit: counts only, and an assessment drawn from them."""
    f, c, r = findings.c, clues.c, rectifications.c
    severities = _count_by(conn, f.severity, f.unit_id == unit_id)
    statuses = _count_by(conn, r.status, r.unit_id == unit_id)
    summary = {
        "findings": sum(severities.values()),
        "findings_by_severity": severities,
        "categories": len(_count_by(conn, f.category, f.unit_id == unit_id)),
        "clues": _count(conn, clues, c.unit_id == unit_id),
        "open_clues": _count(conn, clues, c.unit_id == unit_id, c.status != "disposed"),
        "rectifications_open": sum(n for s, n in statuses.items() if s not in CLOSED),
        "rectifications_overdue": _count(conn, rectifications, r.unit_id == unit_id, *_OVERDUE),
        "rectifications_verified": statuses.get("verified", 0),
        "cases_concluded": _count(conn, cases, cases.c.unit_id == unit_id),
        "systemic_issues": _count(conn, systemic_issue_units, systemic_issue_units.c.unit_id == unit_id),
    }
    return {**summary, "assessment": assess(summary)}


_OVERDUE = (rectifications.c.overdue_at.is_not(None), rectifications.c.status.not_in(CLOSED))


def assess(summary: dict[str, Any]) -> str:
    """``serious`` with a critical finding, an overdue rectification or a systemic issue;
    ``attention`` with a high-severity finding, an open clue or open rectification; else ``sound``."""
    severities = summary["findings_by_severity"]
    if severities.get("critical") or summary["rectifications_overdue"] or summary["systemic_issues"]:
        return "serious"
    if severities.get("high") or summary["open_clues"] or summary["rectifications_open"]:
        return "attention"
    return "sound"


def aggregates(conn: Connection) -> dict[str, Any]:
    """Counts across the whole bus, for leadership: no row, no name, no id."""
    return {
        "findings_by_category": [_category(k, n) for k, n in _count_by(conn, findings.c.category).items()],
        "findings_by_severity": _count_by(conn, findings.c.severity),
        "clues_by_status": _count_by(conn, clues.c.status),
        "clues_by_disposition": _count_by(conn, clues.c.disposition),
        "rectifications_by_status": _count_by(conn, rectifications.c.status),
        "rectifications_overdue": _count(conn, rectifications, *_OVERDUE),
        "inspection_rounds": _count(conn, inspection_rounds),
        "systemic_issues_by_category": _count_by(conn, systemic_issues.c.category),
        "oversight_matters_by_status": _count_by(conn, oversight_matters.c.status),
        "plan_items_by_status": _count_by(conn, plan_items.c.status),
        "cases_concluded": _count(conn, cases),
    }
