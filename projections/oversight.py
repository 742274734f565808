"""Collaborative oversight plans for matters that span regions, sectors or departments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, String, Table, Text

from projections.changes import Change, Insert, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

oversight_matters = Table(
    "oversight_matters",
    metadata,
    Column("matter_id", String(64), primary_key=True),
    # aspect "proposal" (derived by the bus)
    Column("unit_ids", Text),
    Column("region_ids", Text),
    Column("sectors", Text),
    Column("reason", Text),
    Column("proposed_at", UtcDateTime),
    Column("proposal_version", String(80)),
    # aspect "approval"
    Column("lead_body", String(64)),
    Column("participating_bodies", Text),
    Column("approved_by", String(64)),
    Column("approved_at", UtcDateTime),
    Column("approval_version", String(80)),
    # aspect "completion"
    Column("summary", Text),
    Column("completed_by", String(64)),
    Column("completed_at", UtcDateTime),
    Column("completion_version", String(80)),
    # aspect "status": proposed, approved, completed
    Column("status", String(16)),
    Column("status_at", UtcDateTime),
    Column("status_version", String(80)),
)
oversight_units = Table(
    "oversight_units",
    metadata,
    Column("matter_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Index("ix_oversight_units_unit", "unit_id"),
)
oversight_bodies = Table(
    "oversight_bodies",
    metadata,
    Column("matter_id", String(64), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    Index("ix_oversight_bodies_body", "body_id"),
)
"""The lead and participating bodies of approved matters."""

RANK = {
    "CollaborativeOversightProposed": 0,
    "CollaborativeOversightApproved": 1,
    "CollaborativeOversightCompleted": 2,
}


def _status(event: Envelope[Any], status: str) -> Latest:
    row = {"matter_id": event.payload.matter_id, "status": status, "status_at": event.occurred_at}
    return Latest(oversight_matters, "status", version_of(event, RANK[event.event_type]), row)


def proposed(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "matter_id": p.matter_id,
        "unit_ids": listing(p.unit_ids),
        "region_ids": listing(p.region_ids),
        "sectors": listing(p.sectors),
        "reason": p.reason,
        "proposed_at": event.occurred_at,
    }
    units = (Insert(oversight_units, {"matter_id": p.matter_id, "unit_id": u}) for u in p.unit_ids)
    return [Latest(oversight_matters, "proposal", version_of(event), row), _status(event, "proposed"), *units]


def approved(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "matter_id": p.matter_id,
        "lead_body": p.lead_body,
        "participating_bodies": listing(p.participating_bodies),
        "approved_by": event.source_body,
        "approved_at": event.occurred_at,
    }
    members = dict.fromkeys((p.lead_body, *p.participating_bodies))
    return [
        Latest(oversight_matters, "approval", version_of(event), row),
        _status(event, "approved"),
        *(Insert(oversight_bodies, {"matter_id": p.matter_id, "body_id": b}) for b in members),
    ]


def completed(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "matter_id": p.matter_id,
        "summary": p.summary,
        "completed_by": event.source_body,
        "completed_at": event.occurred_at,
    }
    return [Latest(oversight_matters, "completion", version_of(event), row), _status(event, "completed")]


HANDLERS = {
    "CollaborativeOversightProposed": proposed,
    "CollaborativeOversightApproved": approved,
    "CollaborativeOversightCompleted": completed,
}
