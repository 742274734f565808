"""The flows an accepted event sets off at once: transfers, sharing, briefings, joint oversight."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from schemas import Envelope, Subject
from schemas.enums import BodyKind, Handling, Severity, SubjectKind
from schemas.events.clues import ClueTransferred, ProblemClueReceived, SupervisionFindingRecorded
from schemas.events.coordination import CollaborativeOversightProposed
from schemas.events.inspection import BriefingRequested, InspectionRoundPlanned
from schemas.events.sharing import OutstandingIssueNotified
from schemas.types import ID_PATTERN
from streams import jurisdiction as j
from streams.derived import Policy, derived
from streams.registry import Registry
from streams.state import PASS_ON_BARRED, BusState, jurisdiction_only, stricter
from streams.units import units_named

OUTSTANDING = frozenset({Severity.HIGH, Severity.CRITICAL})


def transfer_clue(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """A clue received by a body without jurisdiction over the cadre's level goes to the one that has it."""
    clue: ProblemClueReceived = event.payload
    holder = j.clue_holder(registry, clue.unit_id, clue.cadre_id)
    received_by = j.commission_of(registry, event.source_body)
    if holder is None or holder in (received_by, event.source_body, state.transferred_to(clue.clue_id)):
        return []
    unit = registry.unit(clue.unit_id)
    level = j.management_level(registry, unit.level, clue.cadre_id) if unit else None
    reason = f"{event.source_body} has no jurisdiction over {level}-managed cadres here; {holder} has"
    payload = ClueTransferred(
        clue_id=clue.clue_id, from_body=event.source_body, to_body=holder, reason=reason
    )
    return [derived(event, payload, policy, discriminator=clue.clue_id)]


def share_outstanding_issue(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """A contact office's high-severity finding goes at once to the stationed agency and lower commission."""
    finding: SupervisionFindingRecorded = event.payload
    if finding.severity not in OUTSTANDING or jurisdiction_only(event) or event.handling in PASS_ON_BARRED:
        return []
    if event.source_body not in j.contact_offices(registry, finding.unit_id):
        return []
    bodies = {*j.stationed_agencies(registry, finding.unit_id), j.lower_commission(registry, finding.unit_id)}
    notified = tuple(sorted(b for b in bodies if b and b != event.source_body))
    if not notified:
        return []
    payload = OutstandingIssueNotified(
        finding_id=finding.finding_id,
        unit_id=finding.unit_id,
        category=finding.category,
        severity=finding.severity,
        notified_bodies=notified,
    )
    return [derived(event, payload, policy, discriminator=finding.finding_id)]


def request_briefings(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Before a round: letters-and-visits, comprehensive supervision, the contact office and the
    stationed agency of each inspected unit are asked to brief the team."""
    planned: InspectionRoundPlanned = event.payload
    home = j.home_commission(registry, planned.team_body_id)
    standing = j.offices_of(registry, home, BodyKind.LETTERS_VISITS)
    standing += j.offices_of(registry, home, BodyKind.COMPREHENSIVE_OFFICE)
    out = []
    for unit_id in planned.unit_ids:
        briefers = {
            *standing,
            *j.contact_offices(registry, unit_id),
            *j.stationed_agencies(registry, unit_id),
        }
        for body_id in sorted(briefers):
            payload = BriefingRequested(
                round_id=planned.round_id,
                unit_id=unit_id,
                team_body_id=planned.team_body_id,
                requested_from=body_id,
                due_at=planned.starts_at,
            )
            subject = Subject(kind=SubjectKind.UNIT, id=unit_id)
            out.append(derived(event, payload, policy, discriminator=f"{unit_id}:{body_id}", subject=subject))
    return out


def propose_collaboration(
    event: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """A matter whose units span regions or sectors gets a joint oversight proposal, once."""
    matter = state.matters.get(event.correlation_id)
    if matter is not None and matter.proposed:
        return []
    unit_ids = sorted({*(matter.units if matter else ()), *units_named(event.payload, event.subject)})
    units = [u for u in (registry.unit(i) for i in unit_ids) if u is not None]
    regions = sorted({u.region_id for u in units})
    sectors = sorted({u.sector for u in units})
    if len(regions) < 2 and len(sectors) < 2:
        return []
    spans = [
        f"regions {', '.join(regions)}" if len(regions) > 1 else "",
        f"sectors {', '.join(sectors)}" if len(sectors) > 1 else "",
    ]
    payload = CollaborativeOversightProposed(
        matter_id=_matter_id(event.correlation_id),
        unit_ids=tuple(u.unit_id for u in units),
        region_ids=tuple(regions),
        sectors=tuple(sectors),
        reason="The matter spans " + " and ".join(s for s in spans if s),
    )
    classification, handling = event.classification, event.handling
    if matter is not None:
        classification = stricter(classification, matter.classification)
        handling = stricter(handling, matter.handling)
    if handling == Handling.WITH_CONSENT:
        return []  # a proposal would pass the matter on to comprehensive supervision and others
    region = j.common_region(registry, regions) or regions[0]
    return [
        derived(
            event,
            payload,
            policy,
            discriminator=event.correlation_id,
            subject=Subject(kind=SubjectKind.REGION, id=region),
            classification=classification,
            handling=handling,
        )
    ]


def _matter_id(correlation_id: str) -> str:
    if re.fullmatch(ID_PATTERN, correlation_id):
        return correlation_id
    return "matter-" + hashlib.sha256(correlation_id.encode()).hexdigest()[:24]
