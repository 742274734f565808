"""After an inspection round, the "second half of the article": rectification and clue handling."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from schemas import Envelope
from schemas.events.clues import ClueTransferred
from schemas.events.inspection import ClueHandedOver, InspectionFindingReported
from schemas.events.rectification import RectificationRequired
from schemas.types import ID_PATTERN
from streams import jurisdiction as j
from streams.derived import Policy, derived
from streams.registry import Registry
from streams.state import BusState


def require_rectification(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """An inspection finding becomes a rectification task, due ``policy.rectification_period`` after
    the round ends (or after the report, if later), supervised by the unit's stationed agency and
    contact office (else its lower-level commission, else the commission with jurisdiction)."""
    finding: InspectionFindingReported = event.payload
    rect_id = rectification_id(finding.finding_id)
    if f"rectification:{rect_id}" in state.taken or _already_required(state, finding.finding_id):
        return []
    supervisors = sorted(
        {*j.stationed_agencies(registry, finding.unit_id), *j.contact_offices(registry, finding.unit_id)}
    ) or [b for b in (j.lower_commission(registry, finding.unit_id),) if b]
    supervisors = supervisors or [b for b in (j.clue_holder(registry, finding.unit_id, None),) if b]
    if not supervisors:
        return []
    planned = state.rounds.get(finding.round_id)
    start = max(event.occurred_at, planned.ends_at) if planned else event.occurred_at
    payload = RectificationRequired(
        rectification_id=rect_id,
        unit_id=finding.unit_id,
        finding_id=finding.finding_id,
        description=f"Rectify the inspection finding of round {finding.round_id}: {finding.summary}"[:4000],
        deadline=start + policy.rectification_period,
        supervising_bodies=tuple(supervisors[:50]),
    )
    return [derived(event, payload, policy, discriminator=finding.finding_id)]


def hand_over_clue(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """A clue the team found passes by transfer from the team to the body with jurisdiction."""
    clue: ClueHandedOver = event.payload
    holder = j.clue_holder(registry, clue.unit_id, clue.cadre_id)
    if holder is None or holder in (event.source_body, state.transferred_to(clue.clue_id)):
        return []
    reason = f"handed over by inspection round {clue.round_id}; {holder} has jurisdiction"
    payload = ClueTransferred(
        clue_id=clue.clue_id, from_body=event.source_body, to_body=holder, reason=reason
    )
    return [derived(event, payload, policy, discriminator=clue.clue_id)]


def rectification_id(finding_id: str) -> str:
    """The id of the rectification an inspection finding requires: the same in every replay."""
    candidate = f"rect-{finding_id}"
    if re.fullmatch(ID_PATTERN, candidate):
        return candidate
    return "rect-" + hashlib.sha256(finding_id.encode()).hexdigest()[:24]


def _already_required(state: BusState, finding_id: str) -> bool:
    """Whether a body already required the rectification of this finding itself."""
    return any(r.required.finding_id == finding_id for r in state.rectifications.values())
