"""Inspection rounds with their units, the briefings asked for and received, and consultations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, String, Table, Text

from projections.changes import Change, Insert, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

inspection_rounds = Table(
    "inspection_rounds",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("team_body_id", String(64)),
    Column("planned_by", String(64)),
    Column("unit_ids", Text),
    Column("starts_at", UtcDateTime),
    Column("ends_at", UtcDateTime),
    Column("planned_at", UtcDateTime),
    Column("plan_version", String(80)),
)
round_units = Table(
    "round_units",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Index("ix_round_units_unit", "unit_id"),
)
briefings = Table(
    "briefings",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    # aspect "request": the bus asked this body to brief the team
    Column("requested_team", String(64)),
    Column("requested_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("request_version", String(80)),
    # aspect "submission": the body briefed the team
    Column("submitted_team", String(64)),
    Column("summary", Text),
    Column("submitted_at", UtcDateTime),
    Column("submission_version", String(80)),
    Index("ix_briefings_body", "body_id"),
)
consultations = Table(
    "consultations",
    metadata,
    Column("consultation_id", String(64), primary_key=True),
    # aspect "question"
    Column("round_id", String(64)),
    Column("asked_by", String(64)),
    Column("asked_of", String(64)),
    Column("question", Text),
    Column("asked_at", UtcDateTime),
    Column("question_version", String(80)),
    # aspect "answer"
    Column("answered_by", String(64)),
    Column("answer", Text),
    Column("answered_at", UtcDateTime),
    Column("answer_version", String(80)),
    Index("ix_consultations_round", "round_id"),
    Index("ix_consultations_asked_of", "asked_of"),
)


def round_planned(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "round_id": p.round_id,
        "team_body_id": p.team_body_id,
        "planned_by": event.source_body,
        "unit_ids": listing(p.unit_ids),
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "planned_at": event.occurred_at,
    }
    units = (Insert(round_units, {"round_id": p.round_id, "unit_id": u}) for u in p.unit_ids)
    return [Latest(inspection_rounds, "plan", version_of(event), row), *units]


def briefing_requested(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "round_id": p.round_id,
        "unit_id": p.unit_id,
        "body_id": p.requested_from,
        "requested_team": p.team_body_id,
        "requested_at": event.occurred_at,
        "due_at": p.due_at,
    }
    return [Latest(briefings, "request", version_of(event), row)]


def briefing_submitted(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "round_id": p.round_id,
        "unit_id": p.unit_id,
        "body_id": event.source_body,
        "submitted_team": p.team_body_id,
        "summary": p.summary,
        "submitted_at": event.occurred_at,
    }
    return [Latest(briefings, "submission", version_of(event), row)]


def consultation_requested(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "consultation_id": p.consultation_id,
        "round_id": p.round_id,
        "asked_by": event.source_body,
        "asked_of": p.asked_of,
        "question": p.question,
        "asked_at": event.occurred_at,
    }
    return [Latest(consultations, "question", version_of(event), row)]


def consultation_answered(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "consultation_id": p.consultation_id,
        "answered_by": event.source_body,
        "answer": p.answer,
        "answered_at": event.occurred_at,
    }
    return [Latest(consultations, "answer", version_of(event), row)]


HANDLERS = {
    "InspectionRoundPlanned": round_planned,
    "BriefingRequested": briefing_requested,
    "BriefingSubmitted": briefing_submitted,
    "ConsultationRequested": consultation_requested,
    "ConsultationAnswered": consultation_answered,
}
