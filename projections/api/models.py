"""What the read API returns; these models are its published OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Health(_Out):
    schema_version: int
    live_version: int | None
    serving: bool


class Me(_Out):
    body_id: str
    kind: str | None
    aggregates_only: bool


class InboxEntry(_Out):
    event_id: str
    event_type: str
    source_body: str
    occurred_at: datetime
    delivered_at: datetime | None
    subject: str
    classification: str
    handling: str
    correlation_id: str
    reasons: list[str]
    redacted: list[str]
    payload: dict[str, Any]


class Clue(_Out):
    clue_id: str
    unit_id: str | None
    cadre_id: str | None
    summary: str | None
    origin: str | None
    received_by: str | None
    received_at: datetime | None
    round_id: str | None
    reliability: str | None
    credibility: str | None
    graded_at: datetime | None
    holder: str | None
    held_since: datetime | None
    status: str | None
    status_at: datetime | None
    disposition: str | None
    disposed_by: str | None
    disposed_at: datetime | None
    disposition_reason: str | None


class CustodySpell(_Out):
    event_id: str
    holder: str
    from_body: str | None
    since: datetime
    until: datetime | None
    via: str
    reason: str | None


class ClueDetail(Clue):
    custody: list[CustodySpell]


class Finding(_Out):
    finding_id: str
    unit_id: str | None
    category: str | None
    severity: str | None
    how_found: str | None
    found_by: str | None
    found_at: datetime | None
    round_id: str | None
    summary: str | None
    notified_bodies: list[str]
    notified_at: datetime | None


class Case(_Out):
    case_id: str
    unit_id: str | None
    clue_id: str | None
    cadre_id: str | None
    outcome: str | None
    concluded_by: str | None
    concluded_at: datetime | None


class Rectification(_Out):
    rectification_id: str
    kind: str | None
    unit_id: str | None
    finding_id: str | None
    case_id: str | None
    description: str | None
    deadline: datetime | None
    supervising_bodies: list[str]
    required_by: str | None
    required_at: datetime | None
    percent_complete: int | None
    progress_note: str | None
    progress_at: datetime | None
    status: str | None
    status_at: datetime | None
    outcome: str | None
    verified_by: str | None
    verified_at: datetime | None
    overdue_at: datetime | None
    overdue: bool


class Briefing(_Out):
    round_id: str
    unit_id: str
    body_id: str
    requested_at: datetime | None
    due_at: datetime | None
    summary: str | None
    submitted_at: datetime | None


class Consultation(_Out):
    consultation_id: str
    round_id: str | None
    asked_by: str | None
    asked_of: str | None
    question: str | None
    asked_at: datetime | None
    answered_by: str | None
    answer: str | None
    answered_at: datetime | None


class InspectionRound(_Out):
    round_id: str
    team_body_id: str | None
    planned_by: str | None
    unit_ids: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    planned_at: datetime | None
    briefings: list[Briefing]
    consultations: list[Consultation]


class SystemicIssue(_Out):
    issue_id: str
    category: str | None
    unit_ids: list[str]
    region_ids: list[str]
    finding_ids: list[str]
    window_start: datetime | None
    window_end: datetime | None
    detected_at: datetime | None


class OversightMatter(_Out):
    matter_id: str
    status: str | None
    unit_ids: list[str]
    region_ids: list[str]
    sectors: list[str]
    reason: str | None
    proposed_at: datetime | None
    lead_body: str | None
    participating_bodies: list[str]
    approved_by: str | None
    approved_at: datetime | None
    summary: str | None
    completed_by: str | None
    completed_at: datetime | None


class PlanItem(_Out):
    item_id: str
    content: str | None
    standard: str | None
    due_at: datetime | None
    assigned_bodies: list[str]
    status: str | None
    completed_by: str | None
    completion_summary: str | None
    completed_at: datetime | None
    overdue_at: datetime | None


class Plan(_Out):
    plan_id: str
    year: int | None
    kind: str | None
    title: str | None
    issued_by: str | None
    issued_at: datetime | None
    items: list[PlanItem]


class CategoryCount(_Out):
    category: str
    label_zh: str
    label_en: str
    count: int


class Ecology(_Out):
    findings: int
    findings_by_severity: dict[str, int]
    categories: int
    clues: int
    open_clues: int
    rectifications_open: int
    rectifications_overdue: int
    rectifications_verified: int
    cases_concluded: int
    systemic_issues: int
    assessment: str


class Unit(_Out):
    unit_id: str
    name: str | None
    region_id: str | None
    level: str | None
    sector: str | None


class Dossier(_Out):
    unit: Unit
    findings_by_category: list[CategoryCount]
    findings: list[Finding]
    clues: list[Clue]
    inspections: list[InspectionRound]
    rectifications: list[Rectification]
    cases: list[Case]
    systemic_issues: list[SystemicIssue]
    ecology: Ecology


class Aggregates(_Out):
    findings_by_category: list[CategoryCount]
    findings_by_severity: dict[str, int]
    clues_by_status: dict[str, int]
    clues_by_disposition: dict[str, int]
    rectifications_by_status: dict[str, int]
    rectifications_overdue: int
    inspection_rounds: int
    systemic_issues_by_category: dict[str, int]
    oversight_matters_by_status: dict[str, int]
    plan_items_by_status: dict[str, int]
    cases_concluded: int


class LoggedEvent(_Out):
    event_id: str
    event_type: str
    source_body: str
    occurred_at: datetime
    subject: str
    correlation_id: str
    partition: int
    offset: int
    logged_at: datetime


class Receipt(_Out):
    recipient: str
    delivered_at: datetime | None
    reasons: list[str]
    redacted: list[str]


class EventRecipients(_Out):
    event: LoggedEvent
    recipients: list[Receipt]
