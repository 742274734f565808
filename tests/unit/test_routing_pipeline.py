"""The whole router without Kafka: de-duplication, redaction, recursion and determinism."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fourfold.demo import scenario
from schemas import Envelope, Subject, encode_event
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity, SubjectKind
from schemas.events.clues import SupervisionFindingRecorded
from schemas.events.inspection import InspectionRoundPlanned
from schemas.events.rectification import RectificationRequired
from streams.router import Outcome
from streams.testing import AT, Bench, demo_bench, event

DAY = timedelta(days=1)


def inbox(outcome: Outcome) -> dict[tuple[str, str], dict[str, Any]]:
    """(recipient, event type) -> the delivered record."""
    out = {}
    for w in outcome.writes:
        if w.role == "inbox":
            delivery = json.loads(w.value)
            out[(delivery["recipient"], delivery["event"]["event_type"])] = delivery
    return out


def test_the_same_event_twice_is_written_once() -> None:
    bench = demo_bench()
    clue = scenario()[0].event
    first = bench.publish(clue)
    again = bench.publish(clue)
    assert len(first.writes) > 2
    assert again.duplicate and again.writes == () and again.quarantined is None


def test_another_event_under_a_known_id_is_quarantined() -> None:
    bench = demo_bench()
    clue = scenario()[0].event
    bench.publish(clue)
    impostor = clue.model_copy(
        update={"payload": clue.payload.model_copy(update={"summary": "Something else."})}
    )
    outcome = bench.publish(impostor)
    assert outcome.quarantined is not None and outcome.quarantined.reason == "duplicate_id"


def test_the_informant_is_withheld_from_all_but_letters_and_case_management() -> None:
    bench = demo_bench()
    outcome = bench.publish(scenario()[0].event)
    deliveries = inbox(outcome)
    holder = deliveries[("city-commission", "ProblemClueReceived")]
    assert holder["event"]["payload"]["informant"] is None and holder["redacted"] == ["payload.informant"]
    register = deliveries[("city-case-mgmt", "ProblemClueReceived")]
    assert register["event"]["payload"]["informant"]["name"] == "A. Citizen"
    for (recipient, _), delivery in deliveries.items():
        if recipient not in {"city-case-mgmt", "yuzhong-letters"}:
            assert "A. Citizen" not in json.dumps(delivery), recipient


def test_derived_events_are_logged_and_routed_like_any_other() -> None:
    bench = demo_bench()
    finding = SupervisionFindingRecorded(
        finding_id="f-1",
        unit_id="yuzhong-hospital",
        category=FindingCategory.CORRUPTION,
        severity=Severity.HIGH,
        how_found=HowFound.DAILY_SUPERVISION,
        summary="Kickbacks.",
    )
    outcome = bench.publish(event(finding, "city-office-1"))
    logged = [w.event_type for w in outcome.writes if w.role == "log"]
    assert logged == ["SupervisionFindingRecorded", "OutstandingIssueNotified"]
    assert set(inbox(outcome)) >= {
        ("yuzhong-stationed-health", "OutstandingIssueNotified"),
        ("yuzhong-commission", "OutstandingIssueNotified"),
    }


def _day_of_business() -> list[Envelope[Any]]:
    """Clues, a round, findings, a rectification, and ticks: most flows at once."""
    round_ = InspectionRoundPlanned(
        round_id="r-1",
        team_body_id="inspection-team-1",
        unit_ids=("yuzhong-school", "city-bank"),
        starts_at=AT,
        ends_at=AT + 30 * DAY,
    )
    rect = RectificationRequired(
        rectification_id="rect-1",
        unit_id="city-bank",
        description="Fix.",
        deadline=AT + 3 * DAY,
        supervising_bodies=("city-office-2",),
    )
    events = [item.event for item in scenario()]
    events.append(event(round_, "inspection-office", subject=Subject(kind=SubjectKind.REGION, id="city")))
    events.append(event(rect, "city-office-2"))
    for n, (unit_id, source) in enumerate(
        [
            ("yuzhong-school", "city-office-1"),
            ("jiangbei-school", "jiangbei-commission"),
            ("city-bank", "city-office-2"),
        ]
    ):
        f = SupervisionFindingRecorded(
            finding_id=f"f-{n}",
            unit_id=unit_id,
            category=FindingCategory.FORMALISM_BUREAUCRATISM,
            severity=Severity.HIGH,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="Paperwork.",
        )
        events.append(event(f, source, at=AT + n * DAY, correlation_id="matter-paper"))
    return events


def test_a_replay_of_the_same_input_writes_the_same_bytes() -> None:
    bench = demo_bench()
    records = [encode_event(bench.sign(e)) for e in _day_of_business()]
    records.append(encode_event(bench.sign(bench_tick := _tick(AT + 5 * DAY))))
    bodies = [e.source_body for e in _day_of_business()] + [bench_tick.source_body]

    def run(b: Bench) -> list[Any]:
        return [w for raw, body in zip(records, bodies, strict=True) for w in b.send_raw(body, raw).writes]

    first, second = run(bench), run(bench.fresh())
    assert first == second
    types = [w.event_type for w in first if w.role == "log"]
    for flow in (
        "ClueTransferred",
        "BriefingRequested",
        "OutstandingIssueNotified",
        "RectificationOverdue",
        "SystemicIssueDetected",
        "CollaborativeOversightProposed",
    ):
        assert flow in types, flow


def _tick(at: Any) -> Envelope[Any]:
    from streams.clock import clock_tick

    return clock_tick(at, "bus")
