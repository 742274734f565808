"""A clock tick over parts of the router's state: increment 4 of docs/partitioned-state.md.

Each flow a tick sets off reads the state of one stage (§3): rectifications, plans, briefings and
reforms by matter (stage D), findings by category (E), reporting relations by reporting body (F).
Split the log among N parts by the stage's key, fold each part, run the flows on each part: what
the parts derive together must be what one state derives, id for id and byte for byte, since a tick
reaches every partition. That holds only while every fact a flow reads about an entity sits under
the entity's key, which is what the gate's matter rules are for (``ownership._check_entity_matter``):
a completion filed under another matter leaves its rectification's part flagging it overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import pytest

from schemas import Envelope, new_event
from schemas.catalogue import CLOCK_TYPES
from schemas.events.rectification import RectificationCompleted
from streams.clock import clock_tick
from streams.deadlines import detect_systemic_issues, flag_overdue_plan_items, flag_overdue_rectifications
from streams.derived import Derivation
from streams.overdue import flag_late_briefings, flag_overdue_reforms, flag_overdue_reports
from streams.partitioning import partition_for
from streams.state import BusState
from streams.testing import AT, Bench, demo_bench
from tests.bus_scenario import DAY, POLICY, as_the_sdk_sends, scenario

TICKS = [AT + days * DAY for days in (15, 35, 45, 60, 80)]
Key = Callable[[Envelope[Any]], str | None]


def _category(event: Envelope[Any]) -> str | None:
    category = getattr(event.payload, "category", None)
    return None if category is None else str(category)


def _reporting_body(event: Envelope[Any]) -> str | None:
    if event.event_type == "DailySupervisionReported":
        return event.source_body
    return getattr(event.payload, "reporting_body", None)


STAGES: dict[str, tuple[Key, list[Derivation]]] = {
    "D, by matter": (
        lambda e: e.correlation_id,
        [flag_overdue_rectifications, flag_overdue_plan_items, flag_late_briefings, flag_overdue_reforms],
    ),
    "E, by category": (_category, [detect_systemic_issues]),
    "F, by reporting body": (_reporting_body, [flag_overdue_reports]),
}


@cache
def _routed() -> tuple[Bench, tuple[Envelope[Any], ...]]:
    """The scenario routed without its tick: the bench (for its registry) and the log it wrote."""
    bench = demo_bench(policy=POLICY)
    log: list[Envelope[Any]] = []
    for event in map(as_the_sdk_sends, scenario()):
        if event.event_type not in CLOCK_TYPES:
            log.extend(bench.publish(event).logged)
    return bench, tuple(log)


def _folded(log: list[Envelope[Any]] | tuple[Envelope[Any], ...]) -> BusState:
    state = BusState(finding_horizon=2 * POLICY.systemic_window)
    for event in log:
        state.apply(event)
    return state


def _parts(log: tuple[Envelope[Any], ...], key: Key, n: int) -> list[BusState]:
    """The log split among ``n`` parts by ``key``, as the stage's partitions would hold it; a tick
    goes to every part, an event the stage keeps nothing of to none."""
    parts: list[list[Envelope[Any]]] = [[] for _ in range(n)]
    for event in log:
        if event.event_type in CLOCK_TYPES:
            for part in parts:
                part.append(event)
        elif (k := key(event)) is not None:
            parts[partition_for(k.encode(), n)].append(event)
    return [_folded(part) for part in parts]


def _derive(flows: list[Derivation], tick: datetime, states: list[BusState]) -> list[Envelope[Any]]:
    bench, _ = _routed()
    at = clock_tick(tick, "bus")
    return [d for state in states for flow in flows for d in flow(at, bench.registry, state, POLICY)]


def _derived(flows: list[Derivation], tick: datetime, states: list[BusState]) -> list[tuple[str, str]]:
    """What the flows derive over ``states`` together, as ids and bytes, in order."""
    return sorted((str(d.event_id), d.model_dump_json()) for d in _derive(flows, tick, states))


@pytest.mark.parametrize("n", [1, 3, 7])
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_tick_over_parts_derives_what_it_derives_over_one_state(stage: str, n: int) -> None:
    key, flows = STAGES[stage]
    _, log = _routed()
    whole, parts = _folded(log), _parts(log, key, n)
    derived = 0
    for tick in TICKS:
        expected = _derived(flows, tick, [whole])
        assert _derived(flows, tick, parts) == expected, f"{stage}, {n} parts, tick at {tick:%Y-%m-%d}"
        derived += len(expected)
    assert derived, f"the scenario gives stage {stage} nothing to derive"


def test_the_ticks_derive_every_kind_of_follow_up() -> None:
    whole = [_folded(_routed()[1])]
    flows = [flow for _, stage_flows in STAGES.values() for flow in stage_flows]
    assert {d.event_type for tick in TICKS for d in _derive(flows, tick, whole)} == {
        "RectificationOverdue",
        "PlanItemOverdue",
        "BriefingOverdue",
        "CaseReformOverdue",
        "SystemicIssueDetected",
        "DailyReportOverdue",
    }


def test_a_completion_outside_its_rectification_s_matter_splits_the_parts_from_the_whole() -> None:
    """Why the gate refuses it: written to the log past the gate, its part flags the rectification."""
    _, log = _routed()
    [required] = [
        e for e in log if e.event_type == "RectificationRequired" and e.payload.rectification_id == "rect-h"
    ]
    done = new_event(
        RectificationCompleted(rectification_id="rect-h", summary="Done."),
        source_body="stationed-education",
        occurred_at=AT + 2 * DAY,
        subject=required.subject,
        correlation_id="elsewhere",
    )
    n = next(
        n
        for n in (3, 7, 11)
        if partition_for(b"elsewhere", n) != partition_for(required.correlation_id.encode(), n)
    )
    key, flows = STAGES["D, by matter"]
    tick = AT + 60 * DAY
    forged = (*log, done)
    whole = _derived(flows, tick, [_folded(forged)])
    parts = _derived(flows, tick, _parts(forged, key, n))
    assert whole != parts
    assert [json for _, json in parts if '"rect-h"' in json] and not [
        json for _, json in whole if '"rect-h"' in json
    ]
