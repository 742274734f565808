"""The half-yearly report on the four supervisions, for leadership: counts and monthly trends per
mechanism over one half-year, read from the read models, with the log position and digest they had."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Engine, Table, select
from sqlalchemy.engine import Connection

from projections.clues import clue_custody, clues
from projections.db import load_positions
from projections.digest import connection_digest
from projections.dossier import cases, findings
from projections.inspections import inspection_rounds
from projections.oversight import oversight_matters
from projections.plans import plan_items
from projections.queries import _category
from projections.rectifications import CLOSED, rectifications
from projections.systemic import systemic_issues

_HALF = re.compile(r"^(\d{4})H([12])$")


class BadHalf(ValueError):
    """Raised for a half-year that is not written like 2026H1 or 2026H2."""


@dataclass(frozen=True)
class Half:
    """January to June (H1) or July to December (H2) of a year, in UTC."""

    year: int
    half: int

    @classmethod
    def parse(cls, text: str) -> Half:
        match = _HALF.match(text.strip().upper())
        if not match:
            raise BadHalf(f"{text!r} is not a half-year like 2026H1 or 2026H2")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime) -> Half:
        return cls(moment.year, 1 if moment.month <= 6 else 2)

    @property
    def start(self) -> datetime:
        return datetime(self.year, 1 if self.half == 1 else 7, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return (
            datetime(self.year, 7, 1, tzinfo=UTC)
            if self.half == 1
            else datetime(self.year + 1, 1, 1, tzinfo=UTC)
        )

    @property
    def months(self) -> list[str]:
        first = 1 if self.half == 1 else 7
        return [f"{self.year}-{m:02d}" for m in range(first, first + 6)]

    @property
    def previous(self) -> Half:
        return Half(self.year, 1) if self.half == 2 else Half(self.year - 1, 2)

    def __str__(self) -> str:
        return f"{self.year}H{self.half}"


@dataclass(frozen=True)
class Measure:
    """One line of the report: what is counted, by which instant, among which rows."""

    key: str
    label: str
    """The catalogue's msgid (projections/web/locale)."""
    mechanism: str
    column: Column[Any]
    where: tuple[ColumnElement[bool], ...] = ()


def _c(table: Table, name: str) -> Column[Any]:
    return table.c[name]


_SYSTEMIC, _CROSS = "Common and systemic problems", "Cross-boundary matters"
_OM = oversight_matters

MEASURES = (
    Measure("findings", "Supervision findings recorded", "Results sharing", _c(findings, "found_at")),
    Measure("clues_received", "Problem clues received", "Problem clues", _c(clues, "received_at")),
    Measure(
        "clues_transferred",
        "Clues transferred to the body with jurisdiction",
        "Problem clues",
        _c(clue_custody, "since"),
        (clue_custody.c.via == "ClueTransferred",),
    ),
    Measure("clues_disposed", "Clues disposed", "Problem clues", _c(clues, "disposed_at")),
    Measure("rounds", "Inspection rounds planned", "Inspection", _c(inspection_rounds, "planned_at")),
    Measure(
        "handovers",
        "Clues handed over after inspection",
        "Inspection",
        _c(clue_custody, "since"),
        (clue_custody.c.via == "ClueHandedOver",),
    ),
    Measure("rect_required", "Rectifications required", "Rectification", _c(rectifications, "required_at")),
    Measure(
        "rect_on_time",
        "Rectifications due and closed on time",
        "Rectification",
        _c(rectifications, "deadline"),
        (rectifications.c.status.in_(CLOSED), rectifications.c.overdue_at.is_(None)),
    ),
    Measure("rect_overdue", "Rectifications overdue", "Rectification", _c(rectifications, "overdue_at")),
    Measure("systemic", "Systemic issues detected", _SYSTEMIC, _c(systemic_issues, "detected_at")),
    Measure("oversight_proposed", "Collaborative oversight proposed", _CROSS, _c(_OM, "proposed_at")),
    Measure("oversight_approved", "Collaborative oversight approved", _CROSS, _c(_OM, "approved_at")),
    Measure("oversight_completed", "Collaborative oversight completed", _CROSS, _c(_OM, "completed_at")),
    Measure("plan_done", "Plan items completed", "Planning and reporting", _c(plan_items, "completed_at")),
    Measure("plan_overdue", "Plan items overdue", "Planning and reporting", _c(plan_items, "overdue_at")),
    Measure("cases", "Cases concluded", "Case-driven reform", _c(cases, "concluded_at")),
)  # fmt: skip


def _months(conn: Connection, measure: Measure, start: datetime, end: datetime) -> Counter[str]:
    col = measure.column
    query = select(col).where(col >= start, col < end, *measure.where)
    return Counter(moment.strftime("%Y-%m") for moment in conn.scalars(query) if moment is not None)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one state of the read models for all its reads, however the projector
    writes meanwhile: REPEATABLE READ on PostgreSQL, one read transaction on SQLite (WAL)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")  # pysqlite begins nothing before a write by itself
        try:
            yield conn
        finally:
            conn.rollback()


def report(conn: Connection, half: Half, *, made_at: datetime | None = None) -> dict[str, Any]:
    """The report's figures for ``half``: counts only, no row, no name, no id. Read it on a
    ``snapshot`` connection: the figures, the positions and the digest then name one state."""
    lines = []
    for m in MEASURES:
        now = _months(conn, m, half.start, half.end)
        before = _months(conn, m, half.previous.start, half.previous.end)
        lines.append(
            {
                "key": m.key,
                "label": m.label,
                "mechanism": m.mechanism,
                "monthly": [now[month] for month in half.months],
                "total": sum(now.values()),
                "previous": sum(before.values()),
            }
        )
    f = findings.c
    categories = Counter(
        conn.scalars(select(f.category).where(f.found_at >= half.start, f.found_at < half.end))
    )
    monthly_categories = Counter(
        (cat, moment.strftime("%Y-%m"))
        for cat, moment in conn.execute(
            select(f.category, f.found_at).where(f.found_at >= half.start, f.found_at < half.end)
        )
    )
    positions = load_positions(conn)
    return {
        "half": str(half),
        "months": half.months,
        "previous_half": str(half.previous),
        "lines": lines,
        "categories": [_category(k, n) for k, n in sorted(categories.items())],
        "category_months": {
            cat: [monthly_categories[(cat, month)] for month in half.months] for cat in sorted(categories)
        },
        "positions": [
            {"topic": t, "partition": p, "next_offset": o} for (t, p), o in sorted(positions.items())
        ],
        "log_records": sum(o for (t, _), o in positions.items() if t.endswith(".log")),
        "all_records": sum(positions.values()),
        "digest": _digest(conn, positions),
        "made_at": made_at or datetime.now(UTC),
    }


_DIGESTS: dict[tuple[str, tuple[tuple[tuple[str, int], int], ...]], str] = {}


def _digest(conn: Connection, positions: dict[tuple[str, int], int]) -> str:
    """The read models' digest, computed once per database and position of the projector: the same
    offsets applied give the same rows (a database without positions is digested each time)."""
    if not positions:
        return connection_digest(conn)
    key = (conn.engine.url.render_as_string(hide_password=True), tuple(sorted(positions.items())))
    if key not in _DIGESTS:
        if len(_DIGESTS) > 64:
            _DIGESTS.clear()
        _DIGESTS[key] = connection_digest(conn)
    return _DIGESTS[key]
