"""Systemic issues: one finding category at many units or regions within a window."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, String, Table, Text

from projections.changes import Change, Insert, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

systemic_issues = Table(
    "systemic_issues",
    metadata,
    Column("issue_id", String(64), primary_key=True),
    Column("category", String(40)),
    Column("unit_ids", Text),
    Column("region_ids", Text),
    Column("finding_ids", Text),
    Column("window_start", UtcDateTime),
    Column("window_end", UtcDateTime),
    Column("sector", String(40)),
    Column("detected_at", UtcDateTime),
    Column("issue_version", String(80)),
)
systemic_issue_units = Table(
    "systemic_issue_units",
    metadata,
    Column("issue_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Index("ix_systemic_issue_units_unit", "unit_id"),
)


def systemic_issue_detected(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "issue_id": p.issue_id,
        "category": str(p.category),
        "unit_ids": listing(p.unit_ids),
        "region_ids": listing(p.region_ids),
        "finding_ids": listing(p.finding_ids),
        "window_start": p.window_start,
        "window_end": p.window_end,
        "sector": p.sector,
        "detected_at": event.occurred_at,
    }
    units = (Insert(systemic_issue_units, {"issue_id": p.issue_id, "unit_id": u}) for u in p.unit_ids)
    return [Latest(systemic_issues, "issue", version_of(event), row), *units]


HANDLERS = {"SystemicIssueDetected": systemic_issue_detected}
