"""The rectification board: each rectification (and case-driven reform) with deadline, status, overdue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text

from projections.changes import Change, Insert, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

rectifications = Table(
    "rectifications",
    metadata,
    Column("rectification_id", String(64), primary_key=True),
    # aspect "required"
    Column("kind", String(16)),
    Column("unit_id", String(64)),
    Column("finding_id", String(64)),
    Column("case_id", String(64)),
    Column("description", Text),
    Column("deadline", UtcDateTime),
    Column("supervising_bodies", Text),
    Column("required_by", String(64)),
    Column("required_at", UtcDateTime),
    Column("required_version", String(80)),
    # aspect "progress"
    Column("percent_complete", Integer),
    Column("progress_note", Text),
    Column("progress_at", UtcDateTime),
    Column("progress_version", String(80)),
    # aspect "status": open, in_progress, completed, verified, rejected
    Column("status", String(16)),
    Column("status_at", UtcDateTime),
    Column("status_version", String(80)),
    # aspect "verification"
    Column("outcome", String(16)),
    Column("verified_by", String(64)),
    Column("verified_at", UtcDateTime),
    Column("verification_version", String(80)),
    # aspect "overdue": the first notice that the deadline passed with the work open
    Column("overdue_at", UtcDateTime),
    Column("overdue_version", String(80)),
    Index("ix_rectifications_unit", "unit_id"),
)
rectification_bodies = Table(
    "rectification_bodies",
    metadata,
    Column("rectification_id", String(64), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    Index("ix_rectification_bodies_body", "body_id"),
)
"""The bodies supervising each rectification (set by the requirement)."""

RANK = {
    "RectificationRequired": 0,
    "CaseReformRecommended": 0,
    "RectificationProgressReported": 1,
    "RectificationCompleted": 2,
    "RectificationVerified": 3,
}
CLOSED = ("completed", "verified")


def _status(event: Envelope[Any], status: str) -> Latest:
    row = {
        "rectification_id": event.payload.rectification_id,
        "status": status,
        "status_at": event.occurred_at,
    }
    return Latest(rectifications, "status", version_of(event, RANK[event.event_type]), row)


def _required(event: Envelope[Any], row: dict[str, Any], bodies: tuple[str, ...]) -> list[Change]:
    rid = row["rectification_id"]
    row = {
        **row,
        "supervising_bodies": listing(bodies),
        "required_by": event.source_body,
        "required_at": event.occurred_at,
    }
    status = {"rectification_id": rid, "status": "open", "status_at": event.occurred_at}
    return [
        Latest(rectifications, "required", version_of(event), row),
        Latest(rectifications, "status", version_of(event), status),
        *(Insert(rectification_bodies, {"rectification_id": rid, "body_id": b}) for b in bodies),
    ]


def rectification_required(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "rectification_id": p.rectification_id,
        "kind": "rectification",
        "unit_id": p.unit_id,
        "finding_id": p.finding_id,
        "case_id": None,
        "description": p.description,
        "deadline": p.deadline,
    }
    return _required(event, row, p.supervising_bodies)


def reform_recommended(event: Envelope[Any]) -> list[Change]:
    """Case-driven reform is tracked like a rectification, supervised by the recommending body."""
    p = event.payload
    row = {
        "rectification_id": p.recommendation_id,
        "kind": "case_reform",
        "unit_id": p.unit_id,
        "finding_id": None,
        "case_id": p.case_id,
        "description": p.recommendations,
        "deadline": p.deadline,
    }
    return _required(event, row, (event.source_body,))


def progress_reported(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "rectification_id": p.rectification_id,
        "percent_complete": p.percent_complete,
        "progress_note": p.note,
        "progress_at": event.occurred_at,
    }
    return [Latest(rectifications, "progress", version_of(event), row), _status(event, "in_progress")]


def completed(event: Envelope[Any]) -> list[Change]:
    return [_status(event, "completed")]


def verified(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "rectification_id": p.rectification_id,
        "outcome": str(p.outcome),
        "verified_by": event.source_body,
        "verified_at": event.occurred_at,
    }
    status = "verified" if p.outcome == "accepted" else "rejected"
    return [Latest(rectifications, "verification", version_of(event), row), _status(event, status)]


def overdue(event: Envelope[Any]) -> list[Change]:
    """A rectification's, or a case-driven reform's (keyed by its recommendation id)."""
    p = event.payload
    rid = p.rectification_id if event.event_type == "RectificationOverdue" else p.recommendation_id
    row = {"rectification_id": rid, "overdue_at": event.occurred_at}
    return [Latest(rectifications, "overdue", version_of(event), row, earliest=True)]


HANDLERS = {
    "RectificationRequired": rectification_required,
    "CaseReformRecommended": reform_recommended,
    "RectificationProgressReported": progress_reported,
    "RectificationCompleted": completed,
    "RectificationVerified": verified,
    "RectificationOverdue": overdue,
    "CaseReformOverdue": overdue,
}
