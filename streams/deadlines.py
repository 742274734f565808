"""Flows that time sets off: each ClockTicked checks deadlines and windows by event time."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
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
        out += [
            _issue(tick, category, run, registry, policy) for run in systemic_runs(findings, registry, policy)
        ]
    return out


def systemic_runs(findings: list[Finding], registry: Registry, policy: Policy) -> Iterator[list[Finding]]:
    """Time-ordered ``findings`` cut into the windows that are systemic: from the earliest finding,
    the window starting there if it is systemic (its findings then count in no other), else the
    next finding's. The window slides over counts of its units, regions and sectors, so a tick
    costs one pass over the findings, not one per finding."""
    times = [f.occurred_at for f in findings]
    places = [_place(f.unit_id, registry) for f in findings]
    window = _Window()
    first = past = 0
    while first < len(findings):
        end = bisect_right(times, times[first] + policy.systemic_window, lo=past)
        for place in places[past:end]:
            window.add(place)
        past = end
        if window.systemic(policy):
            yield findings[first:past]
            window = _Window()
            first = past
        else:
            window.remove(places[first])
            first += 1


Place = tuple[str, str | None, tuple[str | None] | None]
"""A finding's unit, its region if known, and its sector (in a tuple) if the unit is registered."""


def _place(unit_id: str, registry: Registry) -> Place:
    unit = registry.unit(unit_id)
    return unit_id, j.region_of_unit(registry, unit_id), (unit.sector,) if unit else None


class _Window:
    """How many findings of a window are at each unit, region and sector (``Place``'s order)."""

    def __init__(self) -> None:
        self.counts: tuple[Counter[object], ...] = (Counter(), Counter(), Counter())

    def add(self, place: Place) -> None:
        self._count(place, 1)

    def remove(self, place: Place) -> None:
        self._count(place, -1)

    def _count(self, place: Place, by: int) -> None:
        for counter, key in zip(self.counts, place, strict=True):
            if key:
                counter[key] += by
                if not counter[key]:
                    del counter[key]

    def systemic(self, policy: Policy) -> bool:
        units, regions, sectors = (len(counter) for counter in self.counts)
        return (
            units >= policy.systemic_min_units
            or regions >= policy.systemic_min_regions
            or sectors >= policy.systemic_min_sectors
        )


def _regions(findings: list[Finding], registry: Registry) -> set[str]:
    return {r for f in findings if (r := j.region_of_unit(registry, f.unit_id))}


def _sectors(findings: list[Finding], registry: Registry) -> set[str]:
    return {u.sector for f in findings if (u := registry.unit(f.unit_id))}


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
