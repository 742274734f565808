"""Supervision plans (annual and special) and their items, each assigned to bodies with a time limit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text

from projections.changes import Change, Insert, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

plans = Table(
    "plans",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("year", Integer),
    Column("kind", String(16)),
    Column("title", String(200)),
    Column("issued_by", String(64)),
    Column("issued_at", UtcDateTime),
    Column("plan_version", String(80)),
)
plan_items = Table(
    "plan_items",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    # aspect "item": as issued
    Column("content", Text),
    Column("standard", Text),
    Column("due_at", UtcDateTime),
    Column("assigned_bodies", Text),
    Column("item_version", String(80)),
    # aspect "completion"
    Column("completed_by", String(64)),
    Column("completion_summary", Text),
    Column("completed_at", UtcDateTime),
    Column("completion_version", String(80)),
    # aspect "overdue": the first notice that the time limit passed
    Column("overdue_at", UtcDateTime),
    Column("overdue_version", String(80)),
    # aspect "status": open, overdue, completed
    Column("status", String(16)),
    Column("status_at", UtcDateTime),
    Column("status_version", String(80)),
)
plan_item_bodies = Table(
    "plan_item_bodies",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    Index("ix_plan_item_bodies_body", "body_id"),
)

RANK = {"SupervisionPlanIssued": 0, "PlanItemOverdue": 1, "PlanItemCompleted": 2}


def _status(event: Envelope[Any], plan_id: str, item_id: str, status: str) -> Latest:
    row = {"plan_id": plan_id, "item_id": item_id, "status": status, "status_at": event.occurred_at}
    return Latest(plan_items, "status", version_of(event, RANK[event.event_type]), row)


def plan_issued(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    plan = {
        "plan_id": p.plan_id,
        "year": p.year,
        "kind": str(p.kind),
        "title": p.title,
        "issued_by": event.source_body,
        "issued_at": event.occurred_at,
    }
    out: list[Change] = [Latest(plans, "plan", version_of(event), plan)]
    for item in p.items:
        row = {
            "plan_id": p.plan_id,
            "item_id": item.item_id,
            "content": item.content,
            "standard": item.standard,
            "due_at": item.due_at,
            "assigned_bodies": listing(item.assigned_bodies),
        }
        out.append(Latest(plan_items, "item", version_of(event), row))
        out.append(_status(event, p.plan_id, item.item_id, "open"))
        keys = {"plan_id": p.plan_id, "item_id": item.item_id}
        out.extend(Insert(plan_item_bodies, {**keys, "body_id": b}) for b in item.assigned_bodies)
    return out


def item_completed(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "plan_id": p.plan_id,
        "item_id": p.item_id,
        "completed_by": event.source_body,
        "completion_summary": p.summary,
        "completed_at": event.occurred_at,
    }
    return [
        Latest(plan_items, "completion", version_of(event), row),
        _status(event, p.plan_id, p.item_id, "completed"),
    ]


def item_overdue(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {"plan_id": p.plan_id, "item_id": p.item_id, "overdue_at": event.occurred_at}
    return [
        Latest(plan_items, "overdue", version_of(event), row, earliest=True),
        _status(event, p.plan_id, p.item_id, "overdue"),
    ]


HANDLERS = {
    "SupervisionPlanIssued": plan_issued,
    "PlanItemCompleted": item_completed,
    "PlanItemOverdue": item_overdue,
}
