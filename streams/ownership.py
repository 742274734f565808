"""Who may act on what already exists: a clue's custody, ids already taken, bodies a payload names.

The remit rules (streams/authority.py) say where a body may speak. These say what it may do to
things on the log:
- only a clue's current holder, or a clue-handling body of the holder's commission (the
  commission itself, its case management, its review and investigation office), may transfer,
  regrade or dispose of it, and a transfer's ``from_body`` is the current holder;
- a follow-up names a clue the bus knows, in the clue's own matter, dated after the clue's last
  fact: one clue's facts then sit on one log partition, and event time agrees with log order;
- a plan item's completion is in its plan's matter, a joint oversight's conclusion in the matter
  it was approved in, a rectification's progress, completion and verification in the
  rectification's (or the case's, for a case-driven reform), a briefing in the matter of the
  round's request for it, when the bus knows what they follow:
  the state a follow-up is routed by then sits with its matter (docs/partitioned-state.md);
- an id that keys an entity (clue, round, rectification, plan and its items, proposal,
  recommendation) is taken once: a second event bringing it into being is refused;
- a body a payload names (supervising bodies, asked_of, lead, participants, assignees, a
  transfer's receiver) is a registered body the source may address: one of its own region or
  the regions above, or within its remit;
- a restricted fact is cited, transferred and consented to only as its handling code allows
  (streams/handling.py).
"""

from __future__ import annotations

from typing import Any

from schemas import Envelope
from schemas.enums import BodyKind
from schemas.events.reference import BodyRegistered
from streams import jurisdiction as j
from streams.authority import OutsideRemit, Remit
from streams.handling import check_handling
from streams.registry import Registry
from streams.routing import current_holder
from streams.state import BusState, taken_ids

CLUE_FOLLOW_UPS = frozenset({"ClueTransferred", "ClueRegraded", "ClueDisposed"})
ENTITY_FOLLOW_UPS = frozenset(
    {
        "PlanItemCompleted",
        "CollaborativeOversightCompleted",
        "RectificationProgressReported",
        "RectificationCompleted",
        "RectificationVerified",
        "BriefingSubmitted",
        "PassOnConsented",
    }
)
ACTS_FOR_HOLDER = frozenset({BodyKind.COMMISSION, BodyKind.CASE_MANAGEMENT, BodyKind.REVIEW_INVESTIGATION})

ADDRESSED_FIELDS: dict[str, tuple[str, ...]] = {
    "ClueTransferred": ("to_body",),
    "RectificationRequired": ("supervising_bodies",),
    "ConsultationRequested": ("asked_of",),
    "ConsultationAnswered": ("team_body_id",),
    "BriefingSubmitted": ("team_body_id",),
    "InspectionRoundPlanned": ("team_body_id",),
    "CollaborativeOversightApproved": ("lead_body", "participating_bodies"),
    "ReportingCadenceSet": ("reporting_body",),
    "ImportantReportAcknowledged": ("reporting_body",),
    "PassOnConsented": ("consented_to",),
}
"""Payload fields that name bodies the event is addressed to."""


def check_ownership(
    event: Envelope[Any], body: BodyRegistered, registry: Registry, state: BusState, remit: Remit
) -> None:
    """Raise OutsideRemit unless ``body`` may do this to what ``event`` names."""
    _check_new_ids(event, state)
    check_handling(event, body, state)
    if event.event_type in CLUE_FOLLOW_UPS:
        _check_custody(event, body, registry, state)
    if event.event_type in ENTITY_FOLLOW_UPS:
        _check_entity_matter(event, state)
    for target in addressed(event):
        if not may_address(body, target, registry, remit):
            raise OutsideRemit(
                "unauthorised", f"{body.body_id!r} may not address {target!r} in {event.event_type}"
            )


def addressed(event: Envelope[Any]) -> list[str]:
    """Every body id the payload addresses, in field order."""
    p = event.payload
    out: list[str] = []
    for name in ADDRESSED_FIELDS.get(event.event_type, ()):
        value = getattr(p, name)
        out.extend([value] if isinstance(value, str) else value)
    if event.event_type == "SupervisionPlanIssued":
        out.extend(b for item in p.items for b in item.assigned_bodies)
    return out


def may_address(source: BodyRegistered, target_id: str, registry: Registry, remit: Remit) -> bool:
    target = registry.body(target_id)
    if target is None or target.kind == BodyKind.SYSTEM:
        return False
    if target.region_id in registry.region_chain(source.region_id):
        return True
    if remit.covers(registry, target.region_id, None):
        return True
    return any(
        (u := registry.unit(unit_id)) is not None and u.region_id == target.region_id
        for unit_id in remit.units
    )


def _check_new_ids(event: Envelope[Any], state: BusState) -> None:
    names = taken_ids(event)
    if len(set(names)) != len(names):
        raise OutsideRemit("duplicate_id_reuse", f"{event.event_type} names one id twice")
    for name in names:
        if name in state.taken:
            raise OutsideRemit(
                "duplicate_id_reuse",
                f"{name.replace(':', ' ', 1)} already exists on the bus; ids are not reused",
            )


def _check_custody(event: Envelope[Any], body: BodyRegistered, registry: Registry, state: BusState) -> None:
    clue_id = event.payload.clue_id
    known = state.clues.get(clue_id)
    if known is None:
        raise OutsideRemit("unknown_clue", f"clue {clue_id!r} is not on the bus")
    holder = current_holder(clue_id, registry, state) or known.holder
    if not _acts_for(body, holder, registry):
        raise OutsideRemit("not_holder", f"{body.body_id!r} does not hold clue {clue_id!r}; {holder!r} does")
    if event.event_type == "ClueTransferred" and event.payload.from_body != holder:
        raise OutsideRemit(
            "not_holder", f"clue {clue_id!r} is held by {holder!r}, not {event.payload.from_body!r}"
        )
    if event.correlation_id != known.matter:
        raise OutsideRemit(
            "wrong_matter", f"a follow-up of clue {clue_id!r} belongs to its matter {known.matter!r}"
        )
    if event.occurred_at <= known.last_at:
        raise OutsideRemit(
            "out_of_order",
            f"clue {clue_id!r} has a fact dated {known.last_at.isoformat()}; a follow-up must be later",
        )


def _check_entity_matter(event: Envelope[Any], state: BusState) -> None:
    named, matter = _followed(event, state)
    if matter is not None and event.correlation_id != matter:
        raise OutsideRemit("wrong_matter", f"a follow-up of {named} belongs to its matter {matter!r}")


def _followed(event: Envelope[Any], state: BusState) -> tuple[str, str | None]:
    """What ``event`` follows up, and the matter that is in when the bus knows it."""
    p = event.payload
    if event.event_type == "PlanItemCompleted":
        plan = state.plans.get(p.plan_id)
        return f"plan {p.plan_id!r}", plan.correlation_id if plan else None
    if event.event_type == "BriefingSubmitted":
        asked = state.followups.briefings.get((p.round_id, p.unit_id, event.source_body))
        return f"the briefing on {p.unit_id!r} asked for round {p.round_id!r}", (
            asked.codes.correlation_id if asked else None
        )
    if event.event_type == "PassOnConsented":
        fact = state.followups.restricted.get(p.event_id)
        return f"the consent to pass on {p.event_id!r}", fact.correlation_id if fact else None
    if event.event_type == "CollaborativeOversightCompleted":
        oversight = state.oversight.get(p.matter_id)
        return f"joint oversight {p.matter_id!r}", oversight.correlation_id if oversight else None
    rectification = state.rectifications.get(p.rectification_id)
    if rectification is not None:
        return f"rectification {p.rectification_id!r}", rectification.correlation_id
    reform = state.followups.reforms.get(p.rectification_id)
    return f"reform {p.rectification_id!r}", reform.codes.correlation_id if reform else None


def _acts_for(body: BodyRegistered, holder: str, registry: Registry) -> bool:
    if body.body_id == holder:
        return True
    commission = j.commission_of(registry, holder)
    return (
        body.kind in ACTS_FOR_HOLDER
        and commission is not None
        and j.commission_of(registry, body.body_id) == commission
    )
