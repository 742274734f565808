"""Reference data as read models: regions, bodies, units, cadres and jurisdictions, newest fact wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, Table

from projections.changes import Change, Latest, listing, version_of
from projections.db import metadata
from schemas import Envelope

regions = Table(
    "regions",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("parent_region_id", String(64)),
    Column("fact_version", String(80)),
)
bodies = Table(
    "bodies",
    metadata,
    Column("body_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("kind", String(32)),
    Column("region_id", String(64)),
    Column("parent_body_id", String(64)),
    Column("fact_version", String(80)),
)
units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("region_id", String(64)),
    Column("level", String(16)),
    Column("sector", String(40)),
    Column("fact_version", String(80)),
)
cadres = Table(
    "cadres",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("unit_id", String(64)),
    Column("management_level", String(16)),
    Column("fact_version", String(80)),
)
jurisdictions = Table(
    "jurisdictions",
    metadata,
    Column("body_id", String(64), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("region_ids", String),
    Column("unit_ids", String),
    Column("management_levels", String),
    Column("fact_version", String(80)),
)


def _fact(table: Table, event: Envelope[Any], row: dict[str, Any]) -> list[Change]:
    return [Latest(table, "fact", version_of(event), row)]


def region_registered(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    return _fact(
        regions, event, {"region_id": p.region_id, "name": p.name, "parent_region_id": p.parent_region_id}
    )


def body_registered(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "body_id": p.body_id,
        "name": p.name,
        "kind": str(p.kind),
        "region_id": p.region_id,
        "parent_body_id": p.parent_body_id,
    }
    return _fact(bodies, event, row)


def unit_registered(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "unit_id": p.unit_id,
        "name": p.name,
        "region_id": p.region_id,
        "level": str(p.level),
        "sector": p.sector,
    }
    return _fact(units, event, row)


def cadre_registered(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "cadre_id": p.cadre_id,
        "name": p.name,
        "unit_id": p.unit_id,
        "management_level": str(p.management_level),
    }
    return _fact(cadres, event, row)


def jurisdiction_assigned(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    row = {
        "body_id": p.body_id,
        "role": str(p.role),
        "region_ids": listing(p.region_ids),
        "unit_ids": listing(p.unit_ids),
        "management_levels": listing(p.management_levels),
    }
    return _fact(jurisdictions, event, row)


HANDLERS = {
    "RegionRegistered": region_registered,
    "BodyRegistered": body_registered,
    "UnitRegistered": unit_registered,
    "CadreRegistered": cadre_registered,
    "JurisdictionAssigned": jurisdiction_assigned,
}
