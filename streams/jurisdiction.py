"""Who has jurisdiction: pure functions over the registry."""

from __future__ import annotations

from schemas.enums import BodyKind, JurisdictionRole, ManagementLevel, UnitLevel
from streams.registry import Registry


def clue_holder(registry: Registry, unit_id: str, cadre_id: str | None) -> str | None:
    """The commission that manages the cadre's level (or the unit's, without a cadre), nearest first."""
    unit = registry.unit(unit_id)
    if unit is None:
        return None
    level = _management_level(registry, unit.level, cadre_id)
    chain = registry.region_chain(unit.region_id)
    best: tuple[int, str] | None = None
    for remit in registry.jurisdictions(JurisdictionRole.TERRITORIAL):
        if level not in remit.management_levels:
            continue
        for distance, region_id in enumerate(chain):
            if region_id in remit.region_ids and (best is None or (distance, remit.body_id) < best):
                best = (distance, remit.body_id)
    return best[1] if best else None


def case_management_of(registry: Registry, commission_id: str) -> str | None:
    """The case-management office inside a commission, keeper of its central clue register."""
    for body in registry.bodies(BodyKind.CASE_MANAGEMENT):
        if body.parent_body_id == commission_id:
            return body.body_id
    return None


def _management_level(registry: Registry, unit_level: UnitLevel, cadre_id: str | None) -> ManagementLevel:
    cadre = registry.cadre(cadre_id) if cadre_id else None
    if cadre is not None and cadre.management_level != ManagementLevel.UNIT:
        return cadre.management_level
    return ManagementLevel(unit_level.value)
