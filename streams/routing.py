"""Who must know an accepted event: routing rules as a table of small pure functions.

Each rule names recipients with a reason. Reasons in ``JURISDICTION_REASONS`` mark the event's
own jurisdiction (the source, the holder, case management) or a body the payload addresses by
name; the others are need-to-know sharing. A confidential event, or one never to be passed on,
reaches only the former (the stricter of classification and handling code wins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from schemas import Envelope, catalogue
from schemas.enums import BodyKind, JurisdictionRole, SubjectKind, ViewedRecord
from streams import jurisdiction as j
from streams.registry import Registry
from streams.state import BusState, jurisdiction_only
from streams.units import units_about

Recipients = dict[str, set[str]]
"""Body id -> the reasons it receives the event."""

Rule = Callable[[Envelope[Any], Registry, BusState], Recipients]

JURISDICTION_REASONS = frozenset(
    {
        "source",
        "jurisdiction",
        "holder",
        "clue_register",
        "new_holder",
        "previous_holder",
        "team",
        "briefing_requested",
        "consulted",
        "supervising",
        "notified",
        "lead",
        "participant",
        "assigned",
        "plan_owner",
        "leadership",
        "reporting_body",
        "reporting_office",
        "inspection_office",
        "consented",
        "sender",
    }
)

PROTECTED_FIELDS = catalogue.PROTECTED_FIELDS
"""Fields only letters-and-visits, case management and the event's own source may see (sealed by the
SDK for them; withheld from everyone else as defence in depth)."""

SEES_PROTECTED = frozenset({BodyKind.LETTERS_VISITS, BodyKind.CASE_MANAGEMENT})
NO_INBOX = frozenset({BodyKind.SYSTEM, BodyKind.DASHBOARD})


def _to(bodies: Iterable[str | None], reason: str) -> Recipients:
    return {b: {reason} for b in bodies if b}


def _merge(*parts: Recipients) -> Recipients:
    out: Recipients = {}
    for part in parts:
        for body_id, reasons in part.items():
            out.setdefault(body_id, set()).update(reasons)
    return out


def _unit_watchers(registry: Registry, unit_id: str) -> Recipients:
    """The contact office, the stationed agency and the lower-level commission of a unit."""
    return _merge(
        _to(j.contact_offices(registry, unit_id), "contact_office"),
        _to(j.stationed_agencies(registry, unit_id), "stationed_agency"),
        _to([j.lower_commission(registry, unit_id)], "lower_commission"),
    )


def route_finding(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    unit_id = event.payload.unit_id
    teams = [r.team_body_id for r in state.rounds_covering(unit_id, event.occurred_at)]
    return _merge(
        _to([j.clue_holder(registry, unit_id, None)], "jurisdiction"),
        _unit_watchers(registry, unit_id),
        _to(teams, "inspection_round"),
    )


def route_clue(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    holder = j.clue_holder(registry, event.payload.unit_id, event.payload.cadre_id)
    return _merge(
        _to([holder], "jurisdiction"), _to([j.case_management_of(registry, holder)], "clue_register")
    )


def current_holder(clue_id: str, registry: Registry, state: BusState) -> str | None:
    """Who holds a clue now: the last transfer's receiver, or the holder by jurisdiction."""
    transferred = state.transferred_to(clue_id)
    if transferred is not None:
        return transferred
    subject = state.clue_subjects.get(clue_id)
    return j.clue_holder(registry, *subject) if subject else None


def route_clue_follow_up(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    holder = current_holder(event.payload.clue_id, registry, state)
    register = j.case_management_of(registry, j.commission_of(registry, holder)) if holder else None
    return _merge(_to([holder], "holder"), _to([register], "clue_register"))


def route_transfer(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    p = event.payload
    registers = [
        j.case_management_of(registry, j.commission_of(registry, b)) for b in (p.from_body, p.to_body)
    ]
    return _merge(
        _to([p.to_body], "new_holder"), _to([p.from_body], "previous_holder"), _to(registers, "clue_register")
    )


def _field(name: str, reason: str) -> Rule:
    """Route to the body (or bodies) a payload field names."""

    def rule(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
        value = getattr(event.payload, name)
        return _to([value] if isinstance(value, str) else value or (), reason)

    rule.__name__ = f"route_to_{name}"
    return rule


def route_rectification(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    rect = state.rectifications.get(event.payload.rectification_id)
    if rect is None and event.payload.rectification_id in state.followups.reforms:
        return route_reform(event, registry, state)  # a reform's progress is reported like a fix's
    return _to(rect.required.supervising_bodies if rect else (), "supervising")


def route_reform(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    """A case-driven reform's follow-ups: the recommending body, the unit's agency and contact office."""
    payload = event.payload
    rec_id = payload.recommendation_id if hasattr(payload, "recommendation_id") else payload.rectification_id
    reform = state.followups.reforms.get(rec_id)
    if reform is None:
        return {}
    return _merge(
        _to([reform.recommended_by], "supervising"),
        _to(j.contact_offices(registry, reform.unit_id), "contact_office"),
        _to(j.stationed_agencies(registry, reform.unit_id), "stationed_agency"),
    )


def route_daily_report(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    subject = event.subject
    offices = [
        o for u in units_about(event.payload, subject, registry) for o in j.contact_offices(registry, u)
    ]
    region = subject.id if subject.kind == SubjectKind.REGION else None
    if subject.kind == SubjectKind.BODY:
        body = registry.body(subject.id)
        region = body.region_id if body and body.kind == BodyKind.COMMISSION else None
        offices += [o for u in _stationed_units(registry, subject.id) for o in j.contact_offices(registry, u)]
    if region is not None:
        offices += j.contact_offices_of_region(registry, region)
    return _to(offices, "contact_office")


def _stationed_units(registry: Registry, body_id: str) -> list[str]:
    return [
        u
        for s in registry.jurisdictions(JurisdictionRole.STATIONED)
        if s.body_id == body_id
        for u in s.unit_ids
    ]


def route_units_involved(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    """Comprehensive supervision over the units, their holders and the bodies that watch them."""
    units = list(event.payload.unit_ids)
    regions = {r for u in units if (r := j.region_of_unit(registry, u))}
    commissions = {c for r in regions for c in j.covering_commissions(registry, r)}
    return _merge(
        _to(
            [o for c in commissions for o in j.offices_of(registry, c, BodyKind.COMPREHENSIVE_OFFICE)],
            "comprehensive",
        ),
        _to([j.clue_holder(registry, u, None) for u in units], "jurisdiction"),
        *(_unit_watchers(registry, u) for u in units),
    )


def route_systemic(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    regions = set(event.payload.region_ids)
    commissions = {c for r in regions for c in j.covering_commissions(registry, r)}
    leaders = [o for c in commissions for o in j.offices_of(registry, c, BodyKind.LEADERSHIP)]
    return _merge(route_units_involved(event, registry, state), _to(leaders, "systemic"))


def route_oversight_done(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    known = state.oversight.get(event.payload.matter_id)
    return _to(sorted(known.bodies) if known else (), "participant")


def route_plan(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    return _to([b for item in event.payload.items for b in item.assigned_bodies], "assigned")


def route_plan_item(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    plan = state.plans.get(event.payload.plan_id)
    if plan is None:
        return {}
    item = plan.items.get(event.payload.item_id)
    assigned = item.assigned_bodies if item and event.event_type == "PlanItemOverdue" else ()
    return _merge(_to([plan.issuer], "plan_owner"), _to(assigned, "assigned"))


def route_case(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    unit_id = event.payload.unit_id
    register = j.case_management_of(registry, j.clue_holder(registry, unit_id, None))
    return _merge(
        _to([register] if event.event_type == "CaseConcluded" else [], "clue_register"),
        _to(j.contact_offices(registry, unit_id), "contact_office"),
        _to(j.stationed_agencies(registry, unit_id), "stationed_agency"),
    )


def route_progress_report(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    commission = j.commission_of(registry, event.source_body)
    return _to(j.offices_of(registry, commission, BodyKind.LEADERSHIP), "leadership")


def route_view(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    """Who opened a clue or dossier goes to the case management of the viewer's commission, and to
    the case management that keeps the register of what was opened: the commission holding the clue,
    or the one with jurisdiction over the unit. Case management audits who looked at what."""
    p = event.payload
    if p.record == ViewedRecord.CLUE:
        keeper = current_holder(p.record_id, registry, state)
    else:
        keeper = j.clue_holder(registry, p.record_id, None)
    registers = [
        j.case_management_of(registry, j.home_commission(registry, b)) for b in (p.viewer_body, keeper) if b
    ]
    return _to(registers, "view_register")


ROUTES: dict[str, list[Rule]] = {
    "SupervisionFindingRecorded": [route_finding],
    "InspectionFindingReported": [route_finding],
    "ProblemClueReceived": [route_clue],
    "ClueHandedOver": [route_clue],
    "ClueRegraded": [route_clue_follow_up],
    "ClueDisposed": [route_clue_follow_up],
    "ClueTransferred": [route_transfer],
    "InspectionRoundPlanned": [_field("team_body_id", "team")],
    "BriefingRequested": [_field("requested_from", "briefing_requested"), _field("team_body_id", "team")],
    "BriefingSubmitted": [_field("team_body_id", "team")],
    "ConsultationRequested": [_field("asked_of", "consulted")],
    "ConsultationAnswered": [_field("team_body_id", "team")],
    "RectificationRequired": [_field("supervising_bodies", "supervising")],
    "RectificationProgressReported": [route_rectification],
    "RectificationCompleted": [route_rectification],
    "RectificationVerified": [route_rectification],
    "RectificationOverdue": [route_rectification],
    "OutstandingIssueNotified": [_field("notified_bodies", "notified")],
    "DailySupervisionReported": [route_daily_report],
    "SystemicIssueDetected": [route_systemic],
    "CollaborativeOversightProposed": [route_units_involved],
    "CollaborativeOversightApproved": [
        _field("lead_body", "lead"),
        _field("participating_bodies", "participant"),
    ],
    "CollaborativeOversightCompleted": [route_oversight_done],
    "SupervisionPlanIssued": [route_plan],
    "PlanItemCompleted": [route_plan_item],
    "PlanItemOverdue": [route_plan_item],
    "CaseConcluded": [route_case],
    "CaseReformRecommended": [route_case],
    "ProgressReportIssued": [route_progress_report],
    "BriefingOverdue": [
        _field("requested_from", "briefing_requested"),
        _field("team_body_id", "team"),
        _field("inspection_office", "inspection_office"),
    ],
    "ReportingCadenceSet": [_field("reporting_body", "reporting_body")],
    "DailyReportOverdue": [
        _field("reporting_body", "reporting_body"),
        _field("office_ids", "reporting_office"),
    ],
    "ImportantReportAcknowledged": [_field("reporting_body", "reporting_body")],
    "CaseReformOverdue": [route_reform],
    "PassOnConsented": [_field("consented_to", "consented")],
    "EventRefused": [_field("sender", "sender")],
    "RecordViewed": [route_view],
}
"""Event type -> the rules naming who must know it. Reference data and clock ticks go to no inbox."""


def recipients(event: Envelope[Any], registry: Registry, state: BusState) -> Recipients:
    """Every registered body that must receive ``event``, with why, after the confidentiality cut."""
    rules = ROUTES.get(event.event_type)
    if rules is None:
        return {}
    merged = _merge(_to([event.source_body], "source"), *(rule(event, registry, state) for rule in rules))
    merged = {b: r for b, r in merged.items() if _has_inbox(registry, b)}
    if jurisdiction_only(event):
        merged = {b: r for b, r in merged.items() if r & JURISDICTION_REASONS}
    return merged


def withheld_from(event: Envelope[Any], body_id: str, registry: Registry) -> tuple[str, ...]:
    """The protected fields ``body_id`` may not see in ``event``: none for the body that published
    it (it wrote them), nor for letters-and-visits and case management."""
    fields = PROTECTED_FIELDS.get(event.event_type, ())
    if not fields or body_id == event.source_body:
        return ()
    body = registry.body(body_id)
    if body is not None and body.kind in SEES_PROTECTED:
        return ()
    return fields


def _has_inbox(registry: Registry, body_id: str) -> bool:
    body = registry.body(body_id)
    return body is not None and body.kind not in NO_INBOX
