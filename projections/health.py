"""Integration health: each obligation one body owes another (brief, report, fix, acknowledge, act on
a transferred clue), when it began, was due, was done, was found overdue; read per body and period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, String, Table

from projections.changes import Change, Insert, Latest, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

obligations = Table(
    "health_obligations",
    metadata,
    Column("kind", String(24), primary_key=True),
    Column("item_id", String(240), primary_key=True),
    # aspect "due": the obligation arose (started_at) and is due by due_at (none: as soon as possible)
    Column("unit_id", String(64)),
    Column("reform", Boolean),
    Column("started_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("event_id", String(36)),
    # a notification's own event: its time on the log (log_events.logged_at) is when it was made
    Column("due_version", String(80)),
    # aspect "done": the first time it was met
    Column("done_at", UtcDateTime),
    Column("done_version", String(80)),
    # aspect "overdue": the first notice that it was not met in time
    Column("overdue_at", UtcDateTime),
    Column("overdue_version", String(80)),
)
obligation_bodies = Table(
    "health_obligation_bodies",
    metadata,
    Column("kind", String(24), primary_key=True),
    Column("item_id", String(240), primary_key=True),
    Column("body_id", String(64), primary_key=True),
)
"""The bodies an obligation counts for: who owes it, and who waits on it."""

clue_steps = Table(
    "health_clue_steps",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("clue_id", String(64)),
    Column("step", String(16)),
    Column("to_body", String(64)),
    Column("at", UtcDateTime),
)
"""A clue's transfers and the acts on it (regrade, dispose, transfer on): the wait is computed on read."""


def _due(event: Envelope[Any], kind: str, item: str, bodies: tuple[str, ...], **row: Any) -> list[Change]:
    values = {"kind": kind, "item_id": item, "started_at": event.occurred_at, **row}
    return [Latest(obligations, "due", version_of(event), values), *_bodies(kind, item, bodies)]


def _bodies(kind: str, item: str, bodies: tuple[str, ...]) -> list[Change]:
    return [Insert(obligation_bodies, {"kind": kind, "item_id": item, "body_id": b}) for b in bodies]


def _mark(event: Envelope[Any], aspect: str, kind: str, item: str) -> Latest:
    row = {"kind": kind, "item_id": item, f"{aspect}_at": event.occurred_at}
    return Latest(obligations, aspect, version_of(event), row, earliest=True)


def _briefing_item(round_id: str, unit_id: str, body_id: str) -> str:
    return f"{round_id}:{unit_id}:{body_id}"


def briefing_requested(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    item = _briefing_item(p.round_id, p.unit_id, p.requested_from)
    return _due(event, "briefing", item, (p.requested_from,), unit_id=p.unit_id, due_at=p.due_at)


def briefing_submitted(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return [_mark(event, "done", "briefing", _briefing_item(p.round_id, p.unit_id, event.source_body))]


def briefing_overdue(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return [_mark(event, "overdue", "briefing", _briefing_item(p.round_id, p.unit_id, p.requested_from))]


def report_made(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    out: list[Change] = []
    if p.urgent:
        item = str(event.event_id)
        out += _due(event, "acknowledgement", item, (event.source_body,))
    if not p.important:
        item = f"{event.source_body}:{p.period_start.isoformat()}"
        out += [_mark(event, "done", "report", item), *_bodies("report", item, (event.source_body,))]
    return out


def report_overdue(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    item = f"{p.reporting_body}:{p.period_start.isoformat()}"
    bodies = (p.reporting_body, *p.office_ids)
    due = Latest(
        obligations,
        "due",
        version_of(event),
        {"kind": "report", "item_id": item, "started_at": p.period_end, "due_at": p.due_at},
    )
    return [due, _mark(event, "overdue", "report", item), *_bodies("report", item, bodies)]


def acknowledged(event: Envelope[Any]) -> list[Change]:
    item = event.payload.report_event_id
    return [
        _mark(event, "done", "acknowledgement", item),
        *_bodies("acknowledgement", item, (event.source_body,)),
    ]


def rectification_required(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return _due(
        event, "rectification", p.rectification_id, p.supervising_bodies, unit_id=p.unit_id, due_at=p.deadline
    )


def reform_recommended(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return _due(
        event,
        "rectification",
        p.recommendation_id,
        (event.source_body,),
        unit_id=p.unit_id,
        due_at=p.deadline,
        reform=True,
    )


def rectification_completed(event: Envelope[Any]) -> list[Change]:
    return [_mark(event, "done", "rectification", event.payload.rectification_id)]


def rectification_overdue(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    item = p.rectification_id if hasattr(p, "rectification_id") else p.recommendation_id
    return [_mark(event, "overdue", "rectification", item)]


def issue_notified(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return [
        *_due(
            event,
            "notification",
            p.finding_id,
            p.notified_bodies,
            unit_id=p.unit_id,
            event_id=str(event.event_id),
        ),
        _mark(event, "done", "notification", p.finding_id),
    ]


def clue_step(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    step = "transfer" if event.event_type == "ClueTransferred" else "act"
    to_body = p.to_body if step == "transfer" else None
    row = {"event_id": str(event.event_id), "clue_id": p.clue_id, "step": step, "to_body": to_body}
    return [Insert(clue_steps, {**row, "at": event.occurred_at})]


HANDLERS = {
    "BriefingRequested": briefing_requested,
    "BriefingSubmitted": briefing_submitted,
    "BriefingOverdue": briefing_overdue,
    "DailySupervisionReported": report_made,
    "DailyReportOverdue": report_overdue,
    "ImportantReportAcknowledged": acknowledged,
    "RectificationRequired": rectification_required,
    "CaseReformRecommended": reform_recommended,
    "RectificationCompleted": rectification_completed,
    "RectificationOverdue": rectification_overdue,
    "CaseReformOverdue": rectification_overdue,
    "OutstandingIssueNotified": issue_notified,
    "ClueTransferred": clue_step,
    "ClueRegraded": clue_step,
    "ClueDisposed": clue_step,
}
