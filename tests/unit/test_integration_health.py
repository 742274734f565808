"""The integration-health read model: the bus's log of a few weeks, projected into SQLite and read back
per body and period; and the same rows whatever order the events arrive in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from projections.changes import Memory
from projections.db import create_schema, make_engine
from projections.dispatch import changes_for
from projections.health import obligations
from projections.health_report import integration_health
from projections.log_index import logged
from projections.writer import write_changes
from schemas import Envelope, Subject
from schemas.enums import Disposition, Severity, SubjectKind
from schemas.events.clues import ClueDisposed
from schemas.events.followup import ImportantReportAcknowledged
from schemas.events.inspection import BriefingSubmitted, InspectionRoundPlanned
from schemas.events.sharing import DailySupervisionReported
from streams.clock import clock_tick
from streams.derived import Policy
from streams.testing import AT, demo_bench, event, finding
from streams.testing import clue as a_clue

DAY = timedelta(days=1)
JAN, FEB, MAR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3))
MAY = datetime(2026, 5, 1, tzinfo=UTC)
LAG = timedelta(minutes=30)


def report(start: datetime, end: datetime, at: datetime, **kw: Any) -> Envelope[Any]:
    payload = DailySupervisionReported(period_start=start, period_end=end, summary="Report.", **kw)
    return event(
        payload,
        "stationed-education",
        at=at,
        subject=Subject(kind=SubjectKind.BODY, id="stationed-education"),
    )


@pytest.fixture(scope="module")
def log() -> list[Envelope[Any]]:
    """What the router logged for a small history (accepted events and everything they derived)."""
    bench = demo_bench(policy=Policy(systemic_min_units=9, systemic_min_regions=9, systemic_min_sectors=9))
    urgent = report(MAR, MAR, MAR + DAY, important=True, urgent=True)
    clue = a_clue(
        "cadre-qian", "yuzhong-hospital", "yuzhong-letters", clue_id="clue-w", correlation_id="m-w", at=AT
    )
    planned = InspectionRoundPlanned(
        round_id="round-h",
        team_body_id="inspection-team-1",
        unit_ids=("city-education",),
        starts_at=AT + 10 * DAY,
        ends_at=AT + 40 * DAY,
    )
    brief = BriefingSubmitted(
        round_id="round-h", unit_id="city-education", team_body_id="inspection-team-1", summary="Briefed."
    )
    ack = ImportantReportAcknowledged(
        report_event_id=str(urgent.event_id), reporting_body="stationed-education"
    )
    disposed = ClueDisposed.model_validate(
        {"clue_id": "clue-w", "disposition": Disposition.CLOSED, "reason": "Nothing in it."}, strict=False
    )
    steps = [
        report(JAN, FEB, FEB + 2 * DAY),
        clock_tick(MAR + 6 * DAY, "bus"),  # February's report missing
        urgent,
        event(ack, "city-office-1", at=MAR + DAY + 3 * timedelta(hours=1)),
        clue,
        event(disposed, "city-commission", at=AT + 2 * DAY, correlation_id="m-w"),
        event(
            planned,
            "inspection-office",
            subject=Subject(kind=SubjectKind.REGION, id="city"),
            correlation_id="round-h",
        ),
        event(brief, "city-letters", at=AT + 5 * DAY, correlation_id="round-h"),
        clock_tick(AT + 10 * DAY + timedelta(seconds=1), "bus"),
        finding("yuzhong-hospital", "city-office-1", finding_id="f-high", severity=Severity.HIGH, at=AT),
    ]
    out: list[Envelope[Any]] = []
    for step in steps:
        outcome = bench.publish(step)
        assert outcome.quarantined is None, outcome.quarantined
        out.extend(outcome.logged)
    return out


@pytest.fixture(scope="module")
def db(log: list[Envelope[Any]]) -> Engine:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with engine.begin() as conn:
        for offset, e in enumerate(log):  # each logged half an hour after it occurred
            write_changes(conn, [*changes_for(e), logged(e, 0, offset, e.occurred_at + LAG)])
    return engine


def kinds(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k.pop("kind"): k for k in answer["kinds"]}


def test_a_stationed_agency_s_health(db: Engine) -> None:
    with db.connect() as conn:
        mine = kinds(integration_health(conn, "stationed-education", None, None))
    # January on time, February overdue and still missing
    assert mine["report"] == {
        "total": 2, "on_time": 1, "late": 0, "overdue_open": 1, "open": 0, "mean_wait_hours": None
    }  # fmt: skip
    assert (mine["briefing"]["total"], mine["briefing"]["overdue_open"]) == (1, 1)
    assert mine["acknowledgement"]["on_time"] == 1 and mine["acknowledgement"]["mean_wait_hours"] == 3.0


def test_the_office_sees_the_briefings_it_owed_and_the_acknowledgement_it_gave(db: Engine) -> None:
    with db.connect() as conn:
        office = kinds(integration_health(conn, "city-office-1", None, None))
    assert office["briefing"]["overdue_open"] == 1
    assert office["acknowledgement"]["total"] == 1
    assert office["report"]["overdue_open"] == 1  # it waits on the missing report


def test_a_transferred_clue_s_wait_counts_for_its_receiver(db: Engine) -> None:
    with db.connect() as conn:
        holder = kinds(integration_health(conn, "city-commission", None, None))
        sender = kinds(integration_health(conn, "yuzhong-letters", None, None))
    assert holder["clue_wait"]["on_time"] == 1 and holder["clue_wait"]["mean_wait_hours"] == 48.0
    assert sender["clue_wait"]["total"] == 0


def test_a_notice_counts_from_its_finding_to_when_the_bus_logged_it(db: Engine) -> None:
    with db.connect() as conn:
        agency = kinds(integration_health(conn, "yuzhong-stationed-health", None, None))
    assert agency["notification"]["on_time"] == 1 and agency["notification"]["mean_wait_hours"] == 0.5


def test_leadership_sees_every_body_and_a_period_cuts_by_due_time(db: Engine) -> None:
    with db.connect() as conn:
        everyone = kinds(integration_health(conn, None, None, None))
        before_march = kinds(integration_health(conn, None, JAN, MAR))
        later = kinds(integration_health(conn, None, MAY, None))
    assert everyone["briefing"]["total"] == 4
    assert (everyone["briefing"]["on_time"], everyone["briefing"]["overdue_open"]) == (1, 3)
    assert before_march["briefing"]["total"] == 0 and before_march["report"]["total"] == 1
    assert all(k["total"] == 0 for k in later.values())


def test_the_rows_are_the_same_in_any_order(log: list[Envelope[Any]]) -> None:
    shuffled = list(log)
    random.Random(7).shuffle(shuffled)
    ordered, other = Memory(), Memory()
    for e in log:
        ordered.apply(changes_for(e))
    for e in shuffled + shuffled[:5]:
        other.apply(changes_for(e))
    assert ordered.rows(obligations) == other.rows(obligations)
