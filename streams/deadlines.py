"""Flows that time sets off: each ClockTicked checks deadlines and windows by event time."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas import Envelope, Subject
from schemas.enums import SubjectKind
from schemas.events.coordination import PlanItemOverdue
from schemas.events.rectification import RectificationOverdue
from schemas.events.sharing import SystemicIssueDetected
from streams import jurisdiction as j
from streams.derived import Policy, derived
from streams.registry import Registry
from streams.state import BusState, Finding, stricter


def flag_overdue_rectifications(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Every rectification whose deadline the tick has passed and that was not done by it."""
    tick_at = tick.payload.tick_at
    out = []
    for rect_id, rect in sorted(state.rectifications.items()):
        deadline = rect.required.deadline
        if deadline >= tick_at or (rect_id, deadline) in state.overdue_notified:
            continue
        if state.rectification_done_by(rect_id, deadline):
            continue
        unit_id = rect.required.unit_id
        payload = RectificationOverdue(rectification_id=rect_id, unit_id=unit_id, deadline=deadline)
        out.append(
            derived(
                tick,
                payload,
                policy,
                discriminator=f"{rect_id}:{deadline.isoformat()}",
                subject=Subject(kind=SubjectKind.UNIT, id=unit_id),
                correlation_id=rect.correlation_id,
                classification=rect.classification,
                handling=rect.handling,
            )
        )
    return out


def flag_overdue_plan_items(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """Every plan item whose time limit the tick has passed and that was not completed by then."""
    tick_at = tick.payload.tick_at
    out = []
    for plan_id, plan in sorted(state.plans.items()):
        for item_id, item in sorted(plan.items.items()):
            done = plan.completed.get(item_id)
            if item.due_at >= tick_at or (plan_id, item_id) in state.plan_overdue_notified:
                continue
            if done is not None and done <= item.due_at:
                continue
            payload = PlanItemOverdue(plan_id=plan_id, item_id=item_id, due_at=item.due_at)
            out.append(
                derived(
                    tick,
                    payload,
                    policy,
                    discriminator=f"{plan_id}:{item_id}",
                    subject=Subject(kind=SubjectKind.BODY, id=plan.issuer),
                    correlation_id=plan.correlation_id,
                    classification=plan.classification,
                    handling=plan.handling,
                )
            )
    return out


def detect_systemic_issues(
    tick: Envelope[Any], registry: Registry, state: BusState, policy: Policy
) -> list[Envelope[Any]]:
    """One finding category at ``systemic_min_units`` units, ``systemic_min_regions`` regions or
    ``systemic_min_sectors`` sectors within ``systemic_window`` (by the findings' event times),
    among findings up to the tick that no earlier issue claimed. Confidential findings stay with
    their jurisdiction and do not count."""
    by_category: dict[str, list[Finding]] = defaultdict(list)
    for f in state.findings.values():
        if (
            f.occurred_at <= tick.payload.tick_at
            and f.shareable
            and f.finding_id not in state.claimed_findings
        ):
            by_category[f.category].append(f)
    out = []
    for category, findings in sorted(by_category.items()):
        findings.sort(key=lambda f: (f.occurred_at, f.event_id))
        i = 0
        while i < len(findings):
            end = findings[i].occurred_at + policy.systemic_window
            inside = [f for f in findings[i:] if f.occurred_at <= end]
            if _is_systemic(inside, registry, policy):
                out.append(_issue(tick, category, inside, registry, policy))
                i += len(inside)
            else:
                i += 1
    return out


def _regions(findings: list[Finding], registry: Registry) -> set[str]:
    return {r for f in findings if (r := j.region_of_unit(registry, f.unit_id))}


def _sectors(findings: list[Finding], registry: Registry) -> set[str]:
    return {u.sector for f in findings if (u := registry.unit(f.unit_id))}


def _is_systemic(findings: list[Finding], registry: Registry, policy: Policy) -> bool:
    units = {f.unit_id for f in findings}
    return (
        len(units) >= policy.systemic_min_units
        or len(_regions(findings, registry)) >= policy.systemic_min_regions
        or len(_sectors(findings, registry)) >= policy.systemic_min_sectors
    )


def _issue(
    tick: Envelope[Any], category: str, findings: list[Finding], registry: Registry, policy: Policy
) -> Envelope[Any]:
    start = findings[0].occurred_at
    regions = sorted(_regions(findings, registry))
    sectors = _sectors(findings, registry)
    issue_id = f"{category}-{start:%Y%m%d%H%M%S}"
    payload = SystemicIssueDetected.model_validate(
        {
            "issue_id": issue_id,
            "category": category,
            "unit_ids": tuple(sorted({f.unit_id for f in findings})),
            "region_ids": tuple(regions),
            "finding_ids": tuple(sorted({f.finding_id for f in findings}))[:500],
            "window_start": start,
            "window_end": start + policy.systemic_window,
            "sector": next(iter(sectors)) if len(sectors) == 1 else None,
            "sector_count": len(sectors),
        },
        strict=False,
    )
    classification, handling = findings[0].classification, findings[0].handling
    for f in findings[1:]:
        classification, handling = stricter(classification, f.classification), stricter(handling, f.handling)
    region = j.common_region(registry, regions) or (regions[0] if regions else None)
    subject = Subject(kind=SubjectKind.REGION, id=region) if region else tick.subject
    return derived(
        tick,
        payload,
        policy,
        discriminator=issue_id,
        subject=subject,
        correlation_id=issue_id,
        classification=classification,
        handling=handling,
    )
