"""Need-to-know on the server: which rows of the shared read models a body may read.

A body reads its own inbox; a clue it holds, held, or was sent; what its jurisdiction covers
(inherited from the nearest parent body that has one, as an office acts for its commission);
what it supervises, leads, was asked about or was assigned. Leadership reads aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from projections.changes import unlisting
from projections.clues import clue_custody
from projections.inbox import inbox
from projections.inspections import briefings, consultations, inspection_rounds, round_units
from projections.oversight import oversight_bodies, oversight_units
from projections.plans import plan_item_bodies
from projections.rectifications import rectification_bodies, rectifications
from projections.reference import bodies, jurisdictions, regions, units
from projections.systemic import systemic_issue_units

LEADERSHIP = "leadership"
COORDINATOR = "comprehensive_office"


@dataclass(frozen=True)
class Reader:
    """The body behind a request, as the reference data knows it."""

    body_id: str
    kind: str | None
    parent_body_id: str | None = None

    @property
    def aggregates_only(self) -> bool:
        return self.kind == LEADERSHIP

    @property
    def coordinates(self) -> bool:
        return self.kind == COORDINATOR


def reader(conn: Connection, body_id: str) -> Reader:
    row = conn.execute(
        select(bodies.c.kind, bodies.c.parent_body_id).where(bodies.c.body_id == body_id)
    ).first()
    return Reader(body_id, row.kind if row else None, row.parent_body_id if row else None)


def known_bodies(conn: Connection, body_ids: list[str]) -> set[str]:
    """Those of ``body_ids`` the reference data in the read models knows."""
    return set(conn.scalars(select(bodies.c.body_id).where(bodies.c.body_id.in_(body_ids))))


def covered_units(conn: Connection, who: Reader) -> set[str]:
    """Units in the jurisdiction of ``who`` (or of its nearest parent with one), plus the units of
    the inspection rounds it carries out."""
    if who.aggregates_only:
        return set()
    remits = _remits(conn, who)
    parents = dict(conn.execute(select(regions.c.region_id, regions.c.parent_region_id)).all())
    covered = set()
    for unit_id, region_id in conn.execute(select(units.c.unit_id, units.c.region_id)):
        chain = _chain(region_id, parents)
        if any(unit_id in unit_ids or chain & region_ids for region_ids, unit_ids in remits):
            covered.add(unit_id)
    inspected = select(round_units.c.unit_id).join(
        inspection_rounds, inspection_rounds.c.round_id == round_units.c.round_id
    )
    covered.update(conn.scalars(inspected.where(inspection_rounds.c.team_body_id == who.body_id)))
    return covered


def _remits(conn: Connection, who: Reader) -> list[tuple[set[str], set[str]]]:
    parent_of = dict(conn.execute(select(bodies.c.body_id, bodies.c.parent_body_id)).all())
    body: str | None = who.body_id
    seen: set[str] = set()
    while body is not None and body not in seen:
        seen.add(body)
        query = select(jurisdictions.c.region_ids, jurisdictions.c.unit_ids).where(
            jurisdictions.c.body_id == body
        )
        remits = [(set(unlisting(r)), set(unlisting(u))) for r, u in conn.execute(query)]
        if remits:
            return remits
        body = parent_of.get(body)
    return []


def _chain(region_id: str | None, parents: dict[str, str | None]) -> set[str]:
    chain: set[str] = set()
    while region_id is not None and region_id not in chain:
        chain.add(region_id)
        region_id = parents.get(region_id)
    return chain


def readable_clues(conn: Connection, who: Reader) -> set[str]:
    """Clues ``who`` holds or held (the custody chain), or was sent."""
    if who.aggregates_only:
        return set()
    held = select(clue_custody.c.clue_id).where(clue_custody.c.holder == who.body_id)
    sent = select(inbox.c.clue_id).where(inbox.c.recipient == who.body_id, inbox.c.clue_id.is_not(None))
    return set(conn.scalars(held.union(sent)))


def may_read_clue(conn: Connection, who: Reader, clue_id: str) -> bool:
    if who.aggregates_only:
        return False
    held = select(clue_custody.c.clue_id).where(
        clue_custody.c.clue_id == clue_id, clue_custody.c.holder == who.body_id
    )
    sent = select(inbox.c.clue_id).where(inbox.c.clue_id == clue_id, inbox.c.recipient == who.body_id)
    return conn.execute(held.union(sent).limit(1)).first() is not None


def readable_rectifications(conn: Connection, who: Reader, covered: set[str]) -> set[str]:
    """Rectifications ``who`` supervises or required, or at units it covers."""
    if who.aggregates_only:
        return set()
    mine = select(rectification_bodies.c.rectification_id).where(
        rectification_bodies.c.body_id == who.body_id
    )
    ids = set(conn.scalars(mine))
    by = select(rectifications.c.rectification_id, rectifications.c.required_by, rectifications.c.unit_id)
    ids.update(rid for rid, req, unit in conn.execute(by) if req == who.body_id or unit in covered)
    return ids


def readable_rounds(conn: Connection, who: Reader, covered: set[str]) -> set[str]:
    """Rounds ``who`` carries out, planned, briefs or is consulted on, or that inspect units it covers."""
    if who.aggregates_only:
        return set()
    r = inspection_rounds.c
    own = select(r.round_id).where((r.team_body_id == who.body_id) | (r.planned_by == who.body_id))
    briefs = select(briefings.c.round_id).where(briefings.c.body_id == who.body_id)
    asked = select(consultations.c.round_id).where(consultations.c.asked_of == who.body_id)
    units_in = select(round_units.c.round_id).where(round_units.c.unit_id.in_(covered))
    return {x for x in conn.scalars(own.union(briefs, asked, units_in)) if x is not None}


def readable_issues(conn: Connection, who: Reader, covered: set[str]) -> set[str] | None:
    """Systemic issues ``who`` may read; None means all (comprehensive supervision)."""
    if who.coordinates:
        return None
    if who.aggregates_only:
        return set()
    query = select(systemic_issue_units.c.issue_id).where(systemic_issue_units.c.unit_id.in_(covered))
    return set(conn.scalars(query))


def readable_matters(conn: Connection, who: Reader, covered: set[str]) -> set[str] | None:
    """Joint oversight matters ``who`` may read; None means all (comprehensive supervision)."""
    if who.coordinates:
        return None
    if who.aggregates_only:
        return set()
    member = select(oversight_bodies.c.matter_id).where(oversight_bodies.c.body_id == who.body_id)
    involved = select(oversight_units.c.matter_id).where(oversight_units.c.unit_id.in_(covered))
    return set(conn.scalars(member.union(involved)))


def assigned_items(conn: Connection, who: Reader) -> set[tuple[str, str]] | None:
    """(plan, item) pairs assigned to ``who``; None means every item (comprehensive supervision)."""
    if who.coordinates:
        return None
    if who.aggregates_only:
        return set()
    p = plan_item_bodies.c
    return set(conn.execute(select(p.plan_id, p.item_id).where(p.body_id == who.body_id)))
