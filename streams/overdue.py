"""Follow-ups that time sets off: late briefings, missing regular reports, overdue reform, on ticks."""

from __future__ import annotations

from typing import Any

from schemas import Envelope, Subject
from schemas.enums import BodyKind, JurisdictionRole, SubjectKind
from schemas.events.followup import BriefingOverdue, CaseReformOverdue, DailyReportOverdue
from streams import jurisdiction as j
from streams.derived import Policy, derived
from streams.followups import Relation, periods
from streams.registry import Registry
from streams.state import BusState


def flag_late_briefings(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Every briefing asked for a round that had not come when the round began: a reminder to the
    body, and a notice to the team and its inspection office."""
    f = state.followups
    out = []
    for key, asked in sorted(f.briefings.items()):
        round_id, unit_id, body_id = key
        if asked.due_at >= tick.payload.tick_at or key in f.briefing_overdue:
            continue
        submitted = f.briefed.get(key)
        if submitted is not None and submitted <= asked.due_at:
            continue
        payload = BriefingOverdue(
            round_id=round_id,
            unit_id=unit_id,
            team_body_id=asked.team_body_id,
            requested_from=body_id,
            due_at=asked.due_at,
            inspection_office=inspection_office_of(registry, asked.team_body_id),
        )
        out.append(
            derived(
                tick,
                payload,
                policy,
                discriminator=":".join(key),
                subject=Subject(kind=SubjectKind.UNIT, id=unit_id),
                correlation_id=asked.codes.correlation_id,
                classification=asked.codes.classification,
                handling=asked.codes.handling,
            )
        )
    return out


def flag_overdue_reports(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Every period of a reporting relation whose end plus grace the tick has passed with no regular
    report made by then: notified to the office and the reporting body, once per period."""
    f = state.followups
    tick_at = tick.payload.tick_at
    out = []
    for body_id, relation in sorted(f.relations.items()):
        offices = reporting_offices(registry, relation)
        if not offices:
            continue  # a body no office looks after (the city commission itself) owes no regular report
        grace = relation.grace if relation.grace is not None else policy.report_grace
        for start, end in periods(relation.cadence, relation.since, tick_at - grace):
            due = end + grace
            if due >= tick_at or (body_id, start) in f.report_overdue:
                continue
            if f.reported_for(body_id, start, end, due):
                continue
            payload = DailyReportOverdue(
                reporting_body=body_id,
                office_ids=tuple(offices[:50]),
                cadence=relation.cadence,
                period_start=start,
                period_end=end,
                due_at=due,
            )
            out.append(
                derived(
                    tick,
                    payload,
                    policy,
                    discriminator=f"{body_id}:{start.isoformat()}",
                    subject=Subject(kind=SubjectKind.BODY, id=body_id),
                    correlation_id=f"reports-{body_id}",
                )
            )
    return out


def flag_overdue_reforms(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Every case-driven reform recommendation whose deadline the tick has passed, not done by it."""
    f = state.followups
    out = []
    for rec_id, reform in sorted(f.reforms.items()):
        if reform.deadline >= tick.payload.tick_at or rec_id in f.reform_overdue:
            continue
        if state.rectification_done_by(rec_id, reform.deadline):
            continue
        payload = CaseReformOverdue(
            recommendation_id=rec_id, case_id=reform.case_id, unit_id=reform.unit_id, deadline=reform.deadline
        )
        out.append(
            derived(
                tick,
                payload,
                policy,
                discriminator=rec_id,
                subject=Subject(kind=SubjectKind.UNIT, id=reform.unit_id),
                correlation_id=reform.codes.correlation_id,
                classification=reform.codes.classification,
                handling=reform.codes.handling,
            )
        )
    return out


def inspection_office_of(registry: Registry, team_body_id: str) -> str | None:
    """The inspection office a team belongs to, or else the one of the team's region."""
    team = registry.body(team_body_id)
    if team is None:
        return None
    parent = registry.body(team.parent_body_id) if team.parent_body_id else None
    if parent is not None and parent.kind == BodyKind.INSPECTION_OFFICE:
        return parent.body_id
    offices = sorted(
        b.body_id for b in registry.bodies(BodyKind.INSPECTION_OFFICE) if b.region_id == team.region_id
    )
    return offices[0] if offices else None


def reporting_offices(registry: Registry, relation: Relation) -> list[str]:
    """The office a reporting body reports to: the one that set its cadence, or else the offices
    whose contact area covers its stationed units (an agency) or its region (a commission)."""
    if relation.office_id is not None:
        return [relation.office_id]
    body = registry.body(relation.body_id)
    if body is None:
        return []
    if body.kind == BodyKind.COMMISSION:
        return j.contact_offices_of_region(registry, body.region_id)
    units = [
        u
        for s in registry.jurisdictions(JurisdictionRole.STATIONED)
        if s.body_id == body.body_id
        for u in s.unit_ids
    ]
    return sorted({o for u in units for o in j.contact_offices(registry, u)})
