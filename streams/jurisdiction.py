"""Who has jurisdiction, who looks after a unit, who sits where: pure functions over the registry."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Hashable, Iterable
from typing import Concatenate, ParamSpec, TypeVar

from schemas.enums import BodyKind, JurisdictionRole, ManagementLevel, UnitLevel
from streams.registry import Registry

P = ParamSpec("P")
R = TypeVar("R")


def remembered(lookup: Callable[Concatenate[Registry, P], R]) -> Callable[Concatenate[Registry, P], R]:
    """``lookup`` remembered by the registry until its reference data changes (``Registry.memo``);
    each caller gets its own copy of a list or set, free to change it."""

    @functools.wraps(lookup)
    def remembering(registry: Registry, *args: P.args, **kwargs: P.kwargs) -> R:
        key: Hashable = (lookup.__name__, *args, *sorted(kwargs.items()))
        return copy.copy(registry.memo(key, lambda: lookup(registry, *args, **kwargs)))

    return remembering


@remembered
def clue_holder(registry: Registry, unit_id: str, cadre_id: str | None) -> str | None:
    """The commission that manages the cadre's level (or the unit's, without a cadre), nearest first."""
    unit = registry.unit(unit_id)
    if unit is None:
        return None
    return holder_at_level(registry, unit_id, management_level(registry, unit.level, cadre_id))


@remembered
def holder_at_level(registry: Registry, unit_id: str, level: ManagementLevel) -> str | None:
    """The commission nearest the unit whose territorial remit manages cadres of ``level``."""
    unit = registry.unit(unit_id)
    if unit is None:
        return None
    chain = registry.region_chain(unit.region_id)
    best: tuple[int, str] | None = None
    for remit in registry.jurisdictions(JurisdictionRole.TERRITORIAL):
        if level not in remit.management_levels:
            continue
        for distance, region_id in enumerate(chain):
            if region_id in remit.region_ids and (best is None or (distance, remit.body_id) < best):
                best = (distance, remit.body_id)
    return best[1] if best else None


def case_management_of(registry: Registry, commission_id: str | None) -> str | None:
    """The case-management office inside a commission, keeper of its central clue register."""
    offices = offices_of(registry, commission_id, BodyKind.CASE_MANAGEMENT)
    return offices[0] if offices else None


@remembered
def offices_of(registry: Registry, commission_id: str | None, kind: BodyKind) -> list[str]:
    """The bodies of ``kind`` directly inside ``commission_id``, sorted."""
    if commission_id is None:
        return []
    return sorted(b.body_id for b in registry.bodies(kind) if b.parent_body_id == commission_id)


@remembered
def commission_of(registry: Registry, body_id: str) -> str | None:
    """The commission a body is, or belongs to (walking up its parents)."""
    seen: set[str] = set()
    current: str | None = body_id
    while current is not None and current not in seen:
        seen.add(current)
        body = registry.body(current)
        if body is None:
            return None
        if body.kind == BodyKind.COMMISSION:
            return body.body_id
        current = body.parent_body_id
    return None


@remembered
def territorial_regions(registry: Registry, commission_id: str | None) -> set[str]:
    """The regions a commission's territorial jurisdiction names (its own region if none)."""
    if commission_id is None:
        return set()
    regions = {
        r
        for j in registry.jurisdictions(JurisdictionRole.TERRITORIAL)
        if j.body_id == commission_id
        for r in j.region_ids
    }
    body = registry.body(commission_id)
    return regions or ({body.region_id} if body else set())


def within(registry: Registry, region_id: str, regions: Iterable[str]) -> bool:
    """Whether ``region_id`` is one of ``regions`` or lies inside one of them."""
    wanted = set(regions)
    return any(r in wanted for r in registry.region_chain(region_id))


@remembered
def contact_offices(registry: Registry, unit_id: str) -> list[str]:
    """Supervision-inspection offices whose contact area names the unit or covers its region."""
    unit = registry.unit(unit_id)
    return sorted(
        j.body_id
        for j in registry.jurisdictions(JurisdictionRole.CONTACT_AREA)
        if unit_id in j.unit_ids or (unit is not None and within(registry, unit.region_id, j.region_ids))
    )


@remembered
def contact_offices_of_region(registry: Registry, region_id: str) -> list[str]:
    """Supervision-inspection offices whose contact area covers a region."""
    return sorted(
        j.body_id
        for j in registry.jurisdictions(JurisdictionRole.CONTACT_AREA)
        if within(registry, region_id, j.region_ids)
    )


@remembered
def stationed_agencies(registry: Registry, unit_id: str) -> list[str]:
    """Stationed agencies at the unit."""
    return sorted(
        j.body_id for j in registry.jurisdictions(JurisdictionRole.STATIONED) if unit_id in j.unit_ids
    )


@remembered
def lower_commission(registry: Registry, unit_id: str) -> str | None:
    """The lower-level (district) commission whose territory holds the unit, if any."""
    unit = registry.unit(unit_id)
    if unit is None:
        return None
    for region_id in registry.region_chain(unit.region_id):
        for j in sorted(registry.jurisdictions(JurisdictionRole.TERRITORIAL), key=lambda j: j.body_id):
            body = registry.body(j.body_id)
            if region_id in j.region_ids and body is not None and body.parent_body_id is not None:
                return j.body_id
    return None


@remembered
def covering_commissions(registry: Registry, region_id: str) -> list[str]:
    """Every commission whose territory holds the region, nearest first."""
    chain = registry.region_chain(region_id)
    found: list[tuple[int, str]] = []
    for j in registry.jurisdictions(JurisdictionRole.TERRITORIAL):
        distances = [chain.index(r) for r in j.region_ids if r in chain]
        if distances:
            found.append((min(distances), j.body_id))
    return [body_id for _, body_id in sorted(set(found))]


@remembered
def home_commission(registry: Registry, body_id: str) -> str | None:
    """The commission a body belongs to, or else the nearest one over its region."""
    commission = commission_of(registry, body_id)
    if commission is not None:
        return commission
    body = registry.body(body_id)
    covering = covering_commissions(registry, body.region_id) if body else []
    return covering[0] if covering else None


def region_of_unit(registry: Registry, unit_id: str) -> str | None:
    unit = registry.unit(unit_id)
    return unit.region_id if unit else None


def common_region(registry: Registry, region_ids: Iterable[str]) -> str | None:
    """The nearest region that holds all of ``region_ids``."""
    chains = [registry.region_chain(r) for r in sorted(set(region_ids))]
    if not chains:
        return None
    shared = set(chains[0]).intersection(*chains[1:])
    return next((r for r in chains[0] if r in shared), None)


def management_level(registry: Registry, unit_level: UnitLevel, cadre_id: str | None) -> ManagementLevel:
    """The level that decides jurisdiction: the cadre's, or the unit's for unit-managed or no cadre."""
    cadre = registry.cadre(cadre_id) if cadre_id else None
    if cadre is not None and cadre.management_level != ManagementLevel.UNIT:
        return cadre.management_level
    return ManagementLevel(unit_level.value)
