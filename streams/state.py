"""What routing and the derived flows remember, folded from the canonical log.

Design. Every worker keeps one ``BusState`` in memory. It is a pure fold over the accepted and
derived events of the log: a worker fills it at start from its saved state and the log's tail
(streams/snapshot.py; the whole log when it has none), keeps following the log while it runs
(``TopicFeed``), and applies its own events the moment it decides them.
``apply`` is idempotent (keyed by event id), so seeing an event both ways is harmless. Facts
about one matter are ordered by event time, so the interleaving of partitions does not change
them; a clue's custody follows the log, which the gate keeps in step with event time (a clue's
follow-ups carry its matter, one partition, and are dated after its last fact). Nothing here
reads a clock: deadlines and windows compare event times, and time moves only by ClockTicked
events on the log, so a replay reaches the same state.

Why not faust Tables: the flows are cross-matter (an inspection round changes where findings
about other matters go; a systemic issue spans units; a tick checks every open rectification),
so no key co-partitions them; a state rebuilt from the log is simpler and cannot drift from it.
What grows with the log (an id and a short digest per event, for de-duplication; clues, matters)
is in ``Spilled`` maps, which a worker keeps on disk as of its last save (streams/spilled.py).
What stays in memory is what the deadline and systemic rules scan at every tick: rounds,
rectifications, plans, follow-ups, and the findings inside the systemic window.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from schemas import Envelope
from schemas.canonical import content_digest
from schemas.catalogue import PROTECTED_FIELDS
from schemas.enums import Classification, Handling, VerificationOutcome
from schemas.events import coordination, inspection, rectification
from streams.followups import FollowUps
from streams.spilled import Spilled
from streams.units import MATTER_TYPES, units_named

Version = tuple[datetime, str]


def version(event: Envelope[Any]) -> Version:
    """Order of facts about one thing: event time, then event id (never arrival)."""
    return (event.occurred_at, str(event.event_id))


PASS_ON_BARRED = frozenset({Handling.WITH_CONSENT, Handling.NEVER_PASS_ON})
"""Codes under which the bus shares a fact with no one beyond its recipients (systemic counts,
outstanding-issue notices, cross-boundary proposals)."""


def jurisdiction_only(event: Envelope[Any]) -> bool:
    """Confidential, or never to be passed on: the stricter of the two codes decides."""
    return event.classification == Classification.CONFIDENTIAL or event.handling == Handling.NEVER_PASS_ON


@dataclass(frozen=True)
class Rectification:
    required: rectification.RectificationRequired
    correlation_id: str
    classification: Classification
    handling: Handling
    since: Version


@dataclass(frozen=True, slots=True)
class Finding:
    """Kept in memory for every finding inside the systemic window (the tick's rule scans them
    all), so kept small: no per-object dict, the ids of units and categories shared."""

    finding_id: str
    category: str
    unit_id: str
    occurred_at: datetime
    event_id: str
    classification: Classification
    handling: Handling

    @property
    def shareable(self) -> bool:
        """Whether it may leave its jurisdiction (e.g. count towards a systemic issue)."""
        return self.classification != Classification.CONFIDENTIAL and self.handling not in PASS_ON_BARRED

    def __reduce__(self) -> tuple[type[Finding], tuple[Any, ...]]:
        """Pickled as its fields in order: half the time of a slotted class's default, for the tens
        of thousands each save of the state pickles while the worker waits (streams/snapshot.py)."""
        return Finding, (
            self.finding_id,
            self.category,
            self.unit_id,
            self.occurred_at,
            self.event_id,
            self.classification,
            self.handling,
        )


@dataclass
class ClueFile:
    """What the bus knows of one clue's custody: who holds it, in which matter, and since when."""

    holder: str
    received_by: str
    matter: str
    last_at: datetime
    """Event time of the clue's latest fact: a follow-up must come later (event time = log order)."""
    transferred: bool = False


@dataclass
class Matter:
    units: set[str] = field(default_factory=set)
    proposed: bool = False
    classification: Classification = Classification.INTERNAL
    handling: Handling = Handling.WITHIN_JURISDICTION
    """The strictest codes of the matter's events so far."""

    def absorb(self, event: Envelope[Any]) -> None:
        self.units.update(units_named(event.payload, event.subject))
        self.classification = stricter(self.classification, event.classification)
        self.handling = stricter(self.handling, event.handling)


@dataclass(frozen=True)
class Oversight:
    """An approved joint oversight: the matter it was approved in, and its lead and participants."""

    correlation_id: str
    bodies: frozenset[str]


@dataclass
class Plan:
    issuer: str
    items: dict[str, coordination.PlanItem]
    correlation_id: str
    classification: Classification
    handling: Handling
    completed: dict[str, datetime] = field(default_factory=dict)


S = TypeVar("S", Classification, Handling)


def stricter(a: S, b: S) -> S:
    """The more restrictive of two classifications or handling codes."""
    return a if a.rank >= b.rank else b


class BusState:
    """Clue holders, rounds, rectifications, findings, matters, plans and what was already said."""

    def __init__(self, finding_horizon: timedelta = timedelta(days=60)):
        self.finding_horizon = finding_horizon
        """Findings older than this before the latest tick are forgotten (systemic windows)."""
        self.seen: Spilled[str] = Spilled("seen")
        """Event id -> short digest of every event on the log."""
        self.clue_subjects: Spilled[tuple[str, str | None]] = Spilled("clue_subjects")
        self.clues: Spilled[ClueFile] = Spilled("clues", mutable=True)
        self.taken: Spilled[str] = Spilled("taken")
        """Entity ids that act as keys ("clue:c-1", "round:r-1"...) -> the event that took them."""
        self.rounds: dict[str, inspection.InspectionRoundPlanned] = {}
        self.rectifications: dict[str, Rectification] = {}
        self.rect_statuses: dict[str, dict[Version, bool]] = {}
        self.overdue_notified: set[tuple[str, datetime]] = set()
        self.findings: dict[str, Finding] = {}
        self.claimed_findings: Spilled[bool] = Spilled("claimed_findings")
        """Finding id -> True, once a systemic issue has counted it."""
        self.matters: Spilled[Matter] = Spilled("matters", mutable=True)
        self.plans: dict[str, Plan] = {}
        self.plan_overdue_notified: set[tuple[str, str]] = set()
        self.oversight: dict[str, Oversight] = {}
        self.followups = FollowUps()
        """Briefings asked, reporting relations, urgent reports, reforms (streams/followups.py)."""
        self.sequences: dict[str, int] = {}
        """Each body's highest sequence number on the log, accepted or refused."""

    def spilled(self) -> tuple[Spilled[Any], ...]:
        """The maps that grow with the log, kept on disk by a worker (streams/spilled.py)."""
        return (
            self.seen,
            self.clue_subjects,
            self.clues,
            self.taken,
            self.matters,
            self.claimed_findings,
            self.followups.restricted,
            self.followups.clue_origin,
        )

    def knows(self, event_id: str) -> bool:
        """Whether the event with this id is folded in already."""
        return event_id in self.seen

    def digest_of(self, event_id: str) -> str | None:
        """The short digest of the event with this id, if it is on the log."""
        return self.seen.get(event_id)

    def apply(self, event: Envelope[Any]) -> bool:
        """Fold one logged event in; False when it was already folded."""
        event_id = str(event.event_id)
        if event_id in self.seen:
            return False
        self.seen[event_id] = short_digest(event)
        for name in taken_ids(event):
            self.taken.setdefault(name, event_id)
        handler = _HANDLERS.get(event.event_type)
        if handler is not None:
            handler(self, event)
        self.followups.apply(event)
        if event.sequence is not None:
            self.counted(event.source_body, event.sequence)
        if event.event_type in MATTER_TYPES:
            self.matter(event.correlation_id).absorb(event)
        return True

    def last_sequence(self, body_id: str) -> int:
        """The highest sequence number of ``body_id`` the log accounts for; 0 before its first."""
        return self.sequences.get(body_id, 0)

    def counted(self, body_id: str, sequence: int) -> None:
        self.sequences[body_id] = max(self.last_sequence(body_id), sequence)

    def matter(self, correlation_id: str) -> Matter:
        return self.matters.setdefault(correlation_id, Matter())

    def transferred_to(self, clue_id: str) -> str | None:
        """The latest holder a transfer named, if the clue was ever transferred."""
        known = self.clues.get(clue_id)
        return known.holder if known and known.transferred else None

    def rounds_covering(self, unit_id: str, at: datetime) -> list[inspection.InspectionRoundPlanned]:
        """Inspection rounds over ``unit_id`` under way at event time ``at``."""
        return [
            r
            for _, r in sorted(self.rounds.items())
            if unit_id in r.unit_ids and r.starts_at <= at <= r.ends_at
        ]

    def rectification_done_by(self, rectification_id: str, moment: datetime) -> bool:
        """Whether the last status reported at or before ``moment`` says the fix is done."""
        known = [
            (v, done) for v, done in self.rect_statuses.get(rectification_id, {}).items() if v[0] <= moment
        ]
        return bool(known) and max(known)[1]


KEY_IDS: dict[str, tuple[str, str]] = {
    "ProblemClueReceived": ("clue", "clue_id"),
    "ClueHandedOver": ("clue", "clue_id"),
    "InspectionRoundPlanned": ("round", "round_id"),
    "RectificationRequired": ("rectification", "rectification_id"),
    "SupervisionPlanIssued": ("plan", "plan_id"),
    "CollaborativeOversightProposed": ("proposal", "matter_id"),
    "CaseReformRecommended": ("recommendation", "recommendation_id"),
}
"""Events that bring a keyed entity into being: (kind of entity, the payload field naming it)."""


def taken_ids(event: Envelope[Any]) -> list[str]:
    """The entity ids ``event`` brings into being, as "kind:id"; plan items count one by one."""
    known = KEY_IDS.get(event.event_type)
    if known is None:
        return []
    kind, name = known
    ids = [f"{kind}:{getattr(event.payload, name)}"]
    if event.event_type == "SupervisionPlanIssued":
        ids += [f"plan-item:{event.payload.plan_id}:{item.item_id}" for item in event.payload.items]
    return ids


def short_digest(event: Envelope[Any]) -> str:
    """What the event says, in short: a repeat of its id with other content is a reuse. A
    protected field is left out: the SDK seals it afresh each time the event is published."""
    return content_digest(event, PROTECTED_FIELDS.get(event.event_type, ()))[:16]


def _clue_received(state: BusState, event: Envelope[Any]) -> None:
    p = event.payload
    state.clue_subjects.setdefault(p.clue_id, (p.unit_id, p.cadre_id))
    state.clues.setdefault(
        p.clue_id, ClueFile(event.source_body, event.source_body, event.correlation_id, event.occurred_at)
    )


def _clue_transferred(state: BusState, event: Envelope[Any]) -> None:
    """Custody moves in log order: the router admitted this transfer from the holder it names."""
    known = state.clues.get(event.payload.clue_id)
    if known is not None:
        known.holder, known.transferred = event.payload.to_body, True
        known.last_at = max(known.last_at, event.occurred_at)


def _clue_touched(state: BusState, event: Envelope[Any]) -> None:
    known = state.clues.get(event.payload.clue_id)
    if known is not None:
        known.last_at = max(known.last_at, event.occurred_at)


def _round_planned(state: BusState, event: Envelope[Any]) -> None:
    state.rounds[event.payload.round_id] = event.payload


def _rect_required(state: BusState, event: Envelope[Any]) -> None:
    p: rectification.RectificationRequired = event.payload
    known = state.rectifications.get(p.rectification_id)
    if known is None or known.since < version(event):
        state.rectifications[p.rectification_id] = Rectification(
            p, event.correlation_id, event.classification, event.handling, version(event)
        )


def _rect_status(done: Callable[[Any], bool]) -> Callable[[BusState, Envelope[Any]], None]:
    def apply(state: BusState, event: Envelope[Any]) -> None:
        statuses = state.rect_statuses.setdefault(event.payload.rectification_id, {})
        statuses[version(event)] = done(event.payload)

    return apply


def _overdue(state: BusState, event: Envelope[Any]) -> None:
    state.overdue_notified.add((event.payload.rectification_id, event.payload.deadline))


def _finding(state: BusState, event: Envelope[Any]) -> None:
    p = event.payload
    event_id = str(event.event_id)
    state.findings[event_id] = Finding(
        p.finding_id,
        sys.intern(str(p.category)),
        sys.intern(p.unit_id),
        event.occurred_at,
        event_id,
        event.classification,
        event.handling,
    )


def _systemic(state: BusState, event: Envelope[Any]) -> None:
    for finding_id in event.payload.finding_ids:
        state.claimed_findings[finding_id] = True


def _tick(state: BusState, event: Envelope[Any]) -> None:
    horizon = event.payload.tick_at - state.finding_horizon
    for key in [k for k, f in state.findings.items() if f.occurred_at < horizon]:
        del state.findings[key]


def _proposed(state: BusState, event: Envelope[Any]) -> None:
    state.matter(event.correlation_id).proposed = True


def _plan_issued(state: BusState, event: Envelope[Any]) -> None:
    p: coordination.SupervisionPlanIssued = event.payload
    items = {item.item_id: item for item in p.items}
    state.plans[p.plan_id] = Plan(
        event.source_body, items, event.correlation_id, event.classification, event.handling
    )


def _plan_item_completed(state: BusState, event: Envelope[Any]) -> None:
    plan = state.plans.get(event.payload.plan_id)
    if plan is not None:
        earlier = plan.completed.get(event.payload.item_id, event.occurred_at)
        plan.completed[event.payload.item_id] = min(event.occurred_at, earlier)


def _plan_item_overdue(state: BusState, event: Envelope[Any]) -> None:
    state.plan_overdue_notified.add((event.payload.plan_id, event.payload.item_id))


def _oversight(state: BusState, event: Envelope[Any]) -> None:
    p: coordination.CollaborativeOversightApproved = event.payload
    state.oversight[p.matter_id] = Oversight(
        event.correlation_id, frozenset({p.lead_body, *p.participating_bodies})
    )


def _refused(state: BusState, event: Envelope[Any]) -> None:
    """The refused event's number is accounted for; its id stays free to publish it again."""
    p = event.payload
    if p.sequence is not None:
        state.counted(p.sender, p.sequence)


_HANDLERS: dict[str, Callable[[BusState, Envelope[Any]], None]] = {
    "ProblemClueReceived": _clue_received,
    "ClueHandedOver": _clue_received,
    "ClueTransferred": _clue_transferred,
    "ClueRegraded": _clue_touched,
    "ClueDisposed": _clue_touched,
    "InspectionRoundPlanned": _round_planned,
    "RectificationRequired": _rect_required,
    "RectificationCompleted": _rect_status(lambda p: True),
    "RectificationVerified": _rect_status(lambda p: p.outcome == VerificationOutcome.ACCEPTED),
    "RectificationOverdue": _overdue,
    "SupervisionFindingRecorded": _finding,
    "InspectionFindingReported": _finding,
    "SystemicIssueDetected": _systemic,
    "ClockTicked": _tick,
    "CollaborativeOversightProposed": _proposed,
    "SupervisionPlanIssued": _plan_issued,
    "PlanItemCompleted": _plan_item_completed,
    "PlanItemOverdue": _plan_item_overdue,
    "CollaborativeOversightApproved": _oversight,
    "EventRefused": _refused,
}
