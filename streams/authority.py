"""Whether a body may say this about this subject: its remit, from the jurisdictions registered.

A body's remit is where it may speak:
- a commission: its territorial regions and every region inside them;
- an office, the leadership: its own jurisdictions (a contact area's regions and units) and its
  commission's territory;
- a stationed agency: the units it is stationed at;
- the inspection office: its region and every region inside it;
- an inspection team: the units of its rounds, while a round is under way (by event time);
  a team may plan a round of its own within its inspection office's region.

Receiving a clue is not a finding about its subject: a body that may receive clues records one
about any registered cadre or unit, and the router transfers it to the body with jurisdiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas import Envelope
from schemas.enums import BodyKind, JurisdictionRole, SubjectKind
from schemas.events.reference import BodyRegistered
from streams.jurisdiction import commission_of, territorial_regions, within
from streams.registry import Registry
from streams.state import BusState

ANY_SUBJECT = frozenset({"ProblemClueReceived"})
"""Events a body may publish about any registered subject, whatever its remit."""


class OutsideRemit(Exception):
    """Raised when an event is about a place outside its source body's remit; ``reason`` says how."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class Remit:
    regions: set[str] = field(default_factory=set)
    """Regions covered together with every region inside them."""
    units: set[str] = field(default_factory=set)

    def covers(self, registry: Registry, region_id: str | None, unit_id: str | None) -> bool:
        if unit_id is not None and unit_id in self.units:
            return True
        if region_id is None:
            return False
        return within(registry, region_id, self.regions)


def check_remit(event: Envelope[Any], body: BodyRegistered, registry: Registry, state: BusState) -> Remit:
    """``body``'s remit, once every unit, cadre and region ``event`` names is known and in it."""
    remit = remit_of(body, event, registry, state)
    for kind, ident in _named(event):
        if kind == SubjectKind.BODY and ident == body.body_id:
            continue
        region_id, unit_id = _place(registry, kind, ident)
        if event.event_type not in ANY_SUBJECT and not remit.covers(registry, region_id, unit_id):
            raise OutsideRemit("unauthorised", f"{kind} {ident!r} is outside the remit of {body.body_id!r}")
    return remit


def remit_of(body: BodyRegistered, event: Envelope[Any], registry: Registry, state: BusState) -> Remit:
    remit = Remit()
    kind = body.kind
    if kind == BodyKind.COMMISSION:
        remit.regions = territorial_regions(registry, body.body_id)
    elif kind == BodyKind.STATIONED_AGENCY:
        remit.units = _assigned(registry, body.body_id, JurisdictionRole.STATIONED)[1]
    elif kind == BodyKind.INSPECTION_OFFICE:
        remit.regions = {body.region_id}
    elif kind == BodyKind.INSPECTION_TEAM:
        _team_remit(remit, body, event, state)
    elif kind != BodyKind.SYSTEM:
        regions, units = _assigned(registry, body.body_id, JurisdictionRole.CONTACT_AREA)
        commission = commission_of(registry, body.body_id)
        remit.regions = regions | territorial_regions(registry, commission)
        remit.units = units
    return remit


def _team_remit(remit: Remit, body: BodyRegistered, event: Envelope[Any], state: BusState) -> None:
    if event.event_type == "InspectionRoundPlanned" and event.payload.team_body_id == body.body_id:
        remit.regions = {body.region_id}
        return
    for r in state.rounds.values():
        if r.team_body_id == body.body_id and r.starts_at <= event.occurred_at <= r.ends_at:
            remit.units.update(r.unit_ids)


def _assigned(registry: Registry, body_id: str, role: JurisdictionRole) -> tuple[set[str], set[str]]:
    regions: set[str] = set()
    units: set[str] = set()
    for j in registry.jurisdictions(role):
        if j.body_id == body_id:
            regions.update(j.region_ids)
            units.update(j.unit_ids)
    return regions, units


def _named(event: Envelope[Any]) -> list[tuple[SubjectKind, str]]:
    """The subject, and every unit and cadre the payload names."""
    p = event.payload
    named = [(event.subject.kind, event.subject.id)]
    unit_id = p.get("unit_id")
    if isinstance(unit_id, str):
        named.append((SubjectKind.UNIT, unit_id))
    named.extend((SubjectKind.UNIT, u) for u in p.get("unit_ids", ()))
    cadre_id = p.get("cadre_id")
    if isinstance(cadre_id, str):
        named.append((SubjectKind.CADRE, cadre_id))
    return list(dict.fromkeys(named))


def _place(registry: Registry, kind: SubjectKind, ident: str) -> tuple[str | None, str | None]:
    """(region, unit) of a named thing, or OutsideRemit("unknown_subject") if it is not registered."""
    if kind == SubjectKind.CADRE:
        cadre = registry.cadre(ident)
        if cadre is None:
            raise OutsideRemit("unknown_subject", f"cadre {ident!r} is not registered")
        kind, ident = SubjectKind.UNIT, cadre.unit_id
    if kind == SubjectKind.UNIT:
        unit = registry.unit(ident)
        if unit is None:
            raise OutsideRemit("unknown_subject", f"unit {ident!r} is not registered")
        return unit.region_id, unit.unit_id
    if kind == SubjectKind.REGION:
        if registry.region(ident) is None:
            raise OutsideRemit("unknown_subject", f"region {ident!r} is not registered")
        return ident, None
    body = registry.body(ident)
    if body is None:
        raise OutsideRemit("unknown_subject", f"body {ident!r} is not registered")
    return body.region_id, None
