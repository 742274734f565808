"""What the follow-up flows remember: briefings asked for, reporting relations, reforms; a pure fold.

Part of ``BusState`` (streams/state.py), folded from the same log in the same order, so a replay
reaches the same follow-ups. Nothing here reads a clock: every time is an event time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import Envelope
from schemas.enums import Classification, Handling
from schemas.events.followup import ReportCadence
from streams.spilled import Spilled

BriefingKey = tuple[str, str, str]
"""(round, unit, body asked to brief)."""


@dataclass(frozen=True)
class Codes:
    """The matter and sensitivity a follow-up inherits from the fact it follows."""

    correlation_id: str
    classification: Classification
    handling: Handling

    @classmethod
    def of(cls, event: Envelope[Any]) -> Codes:
        return cls(event.correlation_id, event.classification, event.handling)


@dataclass(frozen=True)
class Restricted:
    """A fact whose codes limit what its receivers may do with it."""

    source: str
    event_type: str
    classification: Classification
    handling: Handling
    correlation_id: str | None = None
    """The fact's matter: where a consent to pass it on belongs. None in a state saved before the
    bus kept it (a dataclass field missing from a pickle reads as its default)."""


@dataclass(frozen=True)
class BriefingAsked:
    team_body_id: str
    due_at: datetime
    codes: Codes


@dataclass
class Relation:
    """A reporting body's obligation to report daily supervision, from ``since`` on."""

    body_id: str
    since: datetime
    cadence: ReportCadence = ReportCadence.MONTHLY
    grace: timedelta | None = None
    """None: the policy's grace time."""
    office_id: str | None = None
    """The office that set the cadence; None: the offices whose contact area covers the body."""


@dataclass(frozen=True)
class Report:
    period_start: datetime
    period_end: datetime
    occurred_at: datetime


@dataclass(frozen=True)
class Reform:
    case_id: str
    unit_id: str
    deadline: datetime
    recommended_by: str
    codes: Codes


@dataclass
class FollowUps:
    """Briefings asked and given, reporting relations and reports, urgent reports, reforms."""

    briefings: dict[BriefingKey, BriefingAsked] = field(default_factory=dict)
    briefed: dict[BriefingKey, datetime] = field(default_factory=dict)
    """Earliest event time each requested briefing was submitted."""
    briefing_overdue: set[BriefingKey] = field(default_factory=set)
    relations: dict[str, Relation] = field(default_factory=dict)
    reports: dict[str, list[Report]] = field(default_factory=dict)
    report_overdue: set[tuple[str, datetime]] = field(default_factory=set)
    urgent: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Urgent report event id -> (reporting body, event time)."""
    reforms: dict[str, Reform] = field(default_factory=dict)
    reform_overdue: set[str] = field(default_factory=set)
    restricted: Spilled[Restricted] = field(default_factory=lambda: Spilled("restricted"))
    """Event id -> the codes of a fact more restricted than internal and within jurisdiction."""
    clue_origin: Spilled[str] = field(default_factory=lambda: Spilled("clue_origin"))
    """Clue id -> the event that brought it onto the bus, when that event is restricted."""
    consents: set[tuple[str, str]] = field(default_factory=set)
    """(event id, body) pairs a source let pass on."""

    def apply(self, event: Envelope[Any]) -> None:
        if event.handling != Handling.WITHIN_JURISDICTION or event.classification != Classification.INTERNAL:
            self._restricted(event)
        handler = _HANDLERS.get(event.event_type)
        if handler is not None:
            handler(self, event)

    def _restricted(self, event: Envelope[Any]) -> None:
        event_id = str(event.event_id)
        self.restricted.setdefault(
            event_id,
            Restricted(
                event.source_body,
                event.event_type,
                event.classification,
                event.handling,
                event.correlation_id,
            ),
        )
        if event.event_type in ("ProblemClueReceived", "ClueHandedOver"):
            self.clue_origin.setdefault(event.payload.clue_id, event_id)

    def reported_for(self, body_id: str, start: datetime, end: datetime, by: datetime) -> bool:
        """Whether a regular report overlapping [start, end) was made by event time ``by``."""
        return any(
            r.period_start < end and r.period_end > start and r.occurred_at <= by
            for r in self.reports.get(body_id, ())
        )


def periods(cadence: ReportCadence, since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Calendar periods (UTC) of ``cadence`` from the one holding ``since`` to those ending by ``until``."""
    start = _period_start(cadence, since)
    while True:
        end = _next(cadence, start)
        if end > until:
            return
        yield start, end
        start = end


def _period_start(cadence: ReportCadence, at: datetime) -> datetime:
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if cadence == ReportCadence.WEEKLY:
        return day - timedelta(days=day.weekday())
    month = at.month if cadence == ReportCadence.MONTHLY else 3 * ((at.month - 1) // 3) + 1
    return datetime(at.year, month, 1, tzinfo=UTC)


def _next(cadence: ReportCadence, start: datetime) -> datetime:
    if cadence == ReportCadence.WEEKLY:
        return start + timedelta(days=7)
    months = start.month - 1 + (1 if cadence == ReportCadence.MONTHLY else 3)
    return datetime(start.year + months // 12, months % 12 + 1, 1, tzinfo=UTC)


def _briefing_requested(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    key = (p.round_id, p.unit_id, p.requested_from)
    f.briefings.setdefault(key, BriefingAsked(p.team_body_id, p.due_at, Codes.of(event)))


def _briefing_submitted(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    key = (p.round_id, p.unit_id, event.source_body)
    f.briefed[key] = min(event.occurred_at, f.briefed.get(key, event.occurred_at))


def _briefing_overdue(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    f.briefing_overdue.add((p.round_id, p.unit_id, p.requested_from))


def _cadence_set(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    known = f.relations.get(p.reporting_body)
    since = min(known.since, event.occurred_at) if known else event.occurred_at
    f.relations[p.reporting_body] = Relation(
        p.reporting_body, since, p.cadence, timedelta(days=p.grace_days), event.source_body
    )


def _daily_report(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    body = event.source_body
    if p.urgent:
        f.urgent[str(event.event_id)] = (body, event.occurred_at)
    if p.important:
        return  # important information comes at once, besides the regular reports
    f.reports.setdefault(body, []).append(Report(p.period_start, p.period_end, event.occurred_at))
    known = f.relations.get(body)
    if known is None:
        f.relations[body] = Relation(body, p.period_start)
    elif p.period_start < known.since:
        known.since = p.period_start


def _report_overdue(f: FollowUps, event: Envelope[Any]) -> None:
    f.report_overdue.add((event.payload.reporting_body, event.payload.period_start))


def _reform_recommended(f: FollowUps, event: Envelope[Any]) -> None:
    p = event.payload
    f.reforms.setdefault(
        p.recommendation_id, Reform(p.case_id, p.unit_id, p.deadline, event.source_body, Codes.of(event))
    )


def _reform_overdue(f: FollowUps, event: Envelope[Any]) -> None:
    f.reform_overdue.add(event.payload.recommendation_id)


def _consented(f: FollowUps, event: Envelope[Any]) -> None:
    f.consents.add((event.payload.event_id, event.payload.consented_to))


_HANDLERS: dict[str, Callable[[FollowUps, Envelope[Any]], None]] = {
    "BriefingRequested": _briefing_requested,
    "BriefingSubmitted": _briefing_submitted,
    "BriefingOverdue": _briefing_overdue,
    "ReportingCadenceSet": _cadence_set,
    "DailySupervisionReported": _daily_report,
    "DailyReportOverdue": _report_overdue,
    "CaseReformRecommended": _reform_recommended,
    "CaseReformOverdue": _reform_overdue,
    "PassOnConsented": _consented,
}
