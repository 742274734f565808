"""The follow-up mechanisms end to end: a worker on the real broker, ticking on its own clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fourfold.settings import Settings
from projections.health_report import integration_health
from schemas import Envelope, Subject
from schemas.categories import FindingCategory
from schemas.enums import Handling, HowFound, Severity, SubjectKind
from schemas.events.clues import ClueTransferred, SupervisionFindingRecorded
from schemas.events.coordination import CaseReformRecommended
from schemas.events.followup import ImportantReportAcknowledged, PassOnConsented
from schemas.events.inspection import (
    BriefingSubmitted,
    ClueHandedOver,
    InspectionFindingReported,
    InspectionRoundPlanned,
)
from schemas.events.sharing import DailySupervisionReported
from streams.testing import clue, event
from tests.e2e.test_derived_flows import delivered, logged, records

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
CITY = Subject(kind=SubjectKind.REGION, id="city")


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """The bus clock ticks every second; only three sectors make a systemic issue by sector."""
    return bus_settings.model_copy(
        update={
            "clock_interval": 1.0,
            "systemic_min_units": 3,
            "systemic_min_regions": 9,
            "systemic_min_sectors": 9,
            "router_commit_interval": 0.3,
        }
    )


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def plan_round(bus: Any, starts: datetime, ends: datetime) -> Envelope[Any]:
    planned = event(
        InspectionRoundPlanned(
            round_id=f"round-{uuid.uuid4().hex[:8]}",
            team_body_id="inspection-team-1",
            unit_ids=("city-education",),
            starts_at=starts,
            ends_at=ends,
        ),
        "inspection-office",
        at=NOW - 20 * DAY,
        subject=CITY,
    )
    bus.publish("inspection-office", planned)
    return planned


def test_the_second_half_rectification_and_clue_handover(running_bus):
    bus = running_bus.start(projector=False)
    planned = plan_round(bus, NOW - 5 * DAY, NOW + 30 * DAY)
    round_id = planned.payload.round_id
    bus.wait_until(lambda: logged(bus, "InspectionRoundPlanned"), 60, "the round")
    found = InspectionFindingReported(
        round_id=round_id,
        finding_id="if-e2e",
        unit_id="city-education",
        category=FindingCategory.FORMALISM_BUREAUCRATISM,
        severity=Severity.MEDIUM,
        summary="Meetings instead of work.",
    )
    handed = ClueHandedOver(
        round_id=round_id,
        clue_id="clue-e2e",
        unit_id="city-education",
        cadre_id="cadre-zhao",
        summary="Gifts.",
    )
    bus.publish("inspection-team-1", event(found, "inspection-team-1", at=NOW - DAY))
    bus.publish("inspection-team-1", event(handed, "inspection-team-1", at=NOW - DAY))

    bus.wait_until(lambda: delivered(bus, "stationed-education", "RectificationRequired"), 60, "the task")
    [task] = logged(bus, "RectificationRequired")
    assert task["source_body"] == "bus" and task["payload"]["rectification_id"] == "rect-if-e2e"
    assert task["payload"]["supervising_bodies"] == ["city-office-1", "stationed-education"]
    assert when(task["payload"]["deadline"]) == planned.payload.ends_at + timedelta(
        days=bus.settings.rectification_days
    )
    assert len(delivered(bus, "city-office-1", "RectificationRequired")) == 1

    bus.wait_until(lambda: delivered(bus, "city-commission", "ClueTransferred"), 60, "the handover")
    [transfer] = logged(bus, "ClueTransferred")
    assert (transfer["payload"]["from_body"], transfer["payload"]["to_body"]) == (
        "inspection-team-1",
        "city-commission",
    )


def test_briefings_missing_at_the_round_s_start_are_reminded(running_bus):
    bus = running_bus.start(projector=False)
    brief = BriefingSubmitted(
        round_id="round-brief", unit_id="city-education", team_body_id="inspection-team-1", summary="Briefed."
    )
    bus.publish("city-letters", event(brief, "city-letters", at=NOW - 4 * DAY))
    bus.wait_until(lambda: logged(bus, "BriefingSubmitted"), 60, "the briefing")
    planned = event(
        InspectionRoundPlanned(
            round_id="round-brief",
            team_body_id="inspection-team-1",
            unit_ids=("city-education",),
            starts_at=NOW - 2 * DAY,
            ends_at=NOW + 30 * DAY,
        ),
        "inspection-office",
        at=NOW - 10 * DAY,
        subject=CITY,
    )
    bus.publish("inspection-office", planned)

    bus.wait_until(lambda: len(logged(bus, "BriefingOverdue")) == 3, 60, "three reminders")
    assert {e["payload"]["requested_from"] for e in logged(bus, "BriefingOverdue")} == {
        "city-comprehensive",
        "city-office-1",
        "stationed-education",
    }
    [reminder] = delivered(bus, "stationed-education", "BriefingOverdue")
    assert reminder["reasons"] == ["briefing_requested"]
    assert len(delivered(bus, "inspection-office", "BriefingOverdue")) == 3
    assert delivered(bus, "city-letters", "BriefingOverdue") == []


def _month(at: datetime, back: int) -> datetime:
    months = at.year * 12 + at.month - 1 - back
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)


def test_a_missing_monthly_report_is_overdue_and_an_urgent_one_acknowledged(running_bus):
    bus = running_bus.start(projector=True)
    body = Subject(kind=SubjectKind.BODY, id="stationed-education")
    first, second = _month(NOW, 3), _month(NOW, 2)
    on_time = DailySupervisionReported(period_start=first, period_end=second, summary="Monthly.")
    urgent = event(
        DailySupervisionReported(
            period_start=NOW - DAY, period_end=NOW - DAY, important=True, urgent=True, summary="At once."
        ),
        "stationed-education",
        at=NOW - DAY,
        subject=body,
    )
    bus.publish("stationed-education", event(on_time, "stationed-education", at=second + DAY, subject=body))
    bus.publish("stationed-education", urgent)

    bus.wait_until(lambda: delivered(bus, "city-office-1", "DailyReportOverdue"), 60, "the overdue report")
    missing = logged(bus, "DailyReportOverdue")
    starts = {when(m["payload"]["period_start"]) for m in missing}
    assert second in starts and starts <= {second, _month(NOW, 1)}  # the month after the report
    assert all(m["payload"]["office_ids"] == ["city-office-1"] for m in missing)
    assert delivered(bus, "stationed-education", "DailyReportOverdue")

    ack = ImportantReportAcknowledged(
        report_event_id=str(urgent.event_id), reporting_body="stationed-education"
    )
    bus.publish("city-office-1", event(ack, "city-office-1", at=NOW - DAY + timedelta(hours=2)))
    bus.wait_until(
        lambda: delivered(bus, "stationed-education", "ImportantReportAcknowledged"), 60, "the ack"
    )

    def health() -> dict[str, Any]:
        with bus.container.engine.connect() as conn:
            answer = integration_health(conn, "stationed-education", None, None)
        return {k["kind"]: k for k in answer["kinds"]}

    bus.wait_until(lambda: health()["acknowledgement"]["on_time"] == 1, 60, "the projector's health rows")
    mine = health()
    assert mine["acknowledgement"]["mean_wait_hours"] == 2.0
    assert mine["report"]["on_time"] == 1 and mine["report"]["overdue_open"] >= 1


def test_an_open_reform_past_its_deadline_is_overdue(running_bus):
    bus = running_bus.start(projector=False)
    reform = CaseReformRecommended(
        case_id="case-e2e",
        recommendation_id="reform-e2e",
        unit_id="city-education",
        recommendations="Publish the canteen accounts.",
        deadline=NOW - DAY,
    )
    bus.publish("city-review", event(reform, "city-review", at=NOW - 20 * DAY, correlation_id="case-e2e"))

    bus.wait_until(
        lambda: delivered(bus, "stationed-education", "CaseReformOverdue"), 60, "the overdue reform"
    )
    ticks = {t["event_id"] for t in logged(bus, "ClockTicked")}
    bus.wait_until(lambda: len(logged(bus, "ClockTicked")) > len(ticks) + 2, 30, "a few more ticks")
    [overdue] = logged(bus, "CaseReformOverdue")
    assert overdue["payload"]["recommendation_id"] == "reform-e2e" and overdue["causation_id"] in ticks
    assert len(delivered(bus, "city-review", "CaseReformOverdue")) == 1
    assert len(delivered(bus, "city-office-1", "CaseReformOverdue")) == 1


def test_a_systemic_issue_in_one_sector_names_it(running_bus):
    bus = running_bus.start(projector=False)
    for unit, source, days in (
        ("city-education", "stationed-education", 5),
        ("yuzhong-school", "yuzhong-commission", 4),
        ("jiangbei-school", "jiangbei-commission", 3),
    ):
        payload = SupervisionFindingRecorded(
            finding_id=f"f-{uuid.uuid4().hex[:8]}",
            unit_id=unit,
            category=FindingCategory.WORK_DISCIPLINE,
            severity=Severity.MEDIUM,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="Found.",
        )
        bus.publish(source, event(payload, source, at=NOW - days * DAY))

    bus.wait_until(lambda: logged(bus, "SystemicIssueDetected"), 60, "the systemic issue")
    [issue] = logged(bus, "SystemicIssueDetected")
    assert (issue["payload"]["sector"], issue["payload"]["sector_count"]) == ("education", 1)


def test_a_clue_received_with_consent_moves_on_only_with_its_source_s_consent(running_bus):
    bus = running_bus.start(projector=False)
    received = clue(
        "cadre-sun",
        "yuzhong-hospital",
        "yuzhong-letters",
        clue_id="clue-consent",
        handling=Handling.WITH_CONSENT,
        correlation_id="m-consent",
        at=NOW - 3 * DAY,
    )
    bus.publish("yuzhong-letters", received)
    bus.wait_until(lambda: logged(bus, "ProblemClueReceived"), 60, "the clue")

    def transfer(at: datetime) -> Envelope[Any]:
        payload = ClueTransferred(
            clue_id="clue-consent", from_body="yuzhong-commission", to_body="city-commission", reason="Wider."
        )
        return event(payload, "yuzhong-commission", at=at, correlation_id="m-consent")

    bus.publish("yuzhong-commission", transfer(NOW - 2 * DAY))
    quarantine = bus.container.topics.quarantine
    bus.wait_until(lambda: records(bus, quarantine), 60, "the refusal")
    [refused] = records(bus, quarantine)
    assert refused["reason"] == "needs_consent" and refused["event_type"] == "ClueTransferred"

    consent = PassOnConsented(event_id=str(received.event_id), consented_to="yuzhong-commission")
    bus.publish(
        "yuzhong-letters", event(consent, "yuzhong-letters", at=NOW - DAY, correlation_id="m-consent")
    )
    bus.wait_until(lambda: delivered(bus, "yuzhong-commission", "PassOnConsented"), 60, "the consent")
    bus.publish("yuzhong-commission", transfer(NOW - DAY + timedelta(hours=1)))
    bus.wait_until(lambda: delivered(bus, "city-commission", "ClueTransferred"), 60, "the transfer")
    assert len(records(bus, quarantine)) == 1
