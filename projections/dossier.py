"""The unit dossier's own facts: findings (with any outstanding-issue notice) and concluded cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from projections.changes import Change, Latest, listing, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope
from schemas.enums import Classification, Handling

findings = Table(
    "findings",
    metadata,
    Column("finding_id", String(64), primary_key=True),
    # aspect "finding"
    Column("unit_id", String(64)),
    Column("category", String(40)),
    Column("severity", String(16)),
    Column("how_found", String(32)),
    Column("found_by", String(64)),
    Column("found_at", UtcDateTime),
    Column("round_id", String(64)),
    Column("summary", Text),
    Column("event_id", String(36)),
    Column("restricted", Boolean),
    # restricted: confidential, never passed on, or passed on only with consent; shown only to the
    # bodies the finding was delivered to (queries.dossier)
    Column("finding_version", String(80)),
    # aspect "notice": shared at once as an outstanding issue
    Column("notified_bodies", Text),
    Column("notified_at", UtcDateTime),
    Column("notice_version", String(80)),
    Index("ix_findings_unit", "unit_id", "found_at"),
    Index("ix_findings_round", "round_id"),
)
cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("unit_id", String(64)),
    Column("clue_id", String(64)),
    Column("cadre_id", String(64)),
    Column("outcome", Text),
    Column("concluded_by", String(64)),
    Column("concluded_at", UtcDateTime),
    Column("case_version", String(80)),
    Index("ix_cases_unit", "unit_id"),
)


def _finding(event: Envelope[Any], how_found: str, round_id: str | None) -> list[Change]:
    p = event.payload
    row = {
        "finding_id": p.finding_id,
        "unit_id": p.unit_id,
        "category": str(p.category),
        "severity": str(p.severity),
        "how_found": how_found,
        "found_by": event.source_body,
        "found_at": event.occurred_at,
        "round_id": round_id,
        "summary": p.summary,
        "event_id": str(event.event_id),
        "restricted": event.classification == Classification.CONFIDENTIAL
        or event.handling in (Handling.WITH_CONSENT, Handling.NEVER_PASS_ON),
    }
    return [Latest(findings, "finding", version_of(event), row)]


def finding_recorded(event: Envelope[Any]) -> list[Change]:
    return _finding(event, str(event.payload.how_found), None)


def inspection_finding_reported(event: Envelope[Any]) -> list[Change]:
    return _finding(event, "inspection", event.payload.round_id)


def outstanding_issue_notified(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "finding_id": p.finding_id,
        "notified_bodies": listing(p.notified_bodies),
        "notified_at": event.occurred_at,
    }
    return [Latest(findings, "notice", version_of(event), row)]


def case_concluded(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "case_id": p.case_id,
        "unit_id": p.unit_id,
        "clue_id": p.clue_id,
        "cadre_id": p.cadre_id,
        "outcome": p.outcome,
        "concluded_by": event.source_body,
        "concluded_at": event.occurred_at,
    }
    return [Latest(cases, "case", version_of(event), row)]


HANDLERS = {
    "SupervisionFindingRecorded": finding_recorded,
    "InspectionFindingReported": inspection_finding_reported,
    "OutstandingIssueNotified": outstanding_issue_notified,
    "CaseConcluded": case_concluded,
}
