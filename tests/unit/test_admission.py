"""The gate: bad bytes, bad signatures and bodies speaking outside their remit are refused with a reason."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from schemas import Envelope, SigningKey, Subject, encode_event
from schemas.categories import FindingCategory
from schemas.enums import Severity, SubjectKind, ViewedRecord
from schemas.events.audit import RecordViewed
from schemas.events.clock import ClockTicked
from schemas.events.inspection import InspectionRoundPlanned
from schemas.events.reference import SigningKeyRevoked
from schemas.events.sharing import OutstandingIssueNotified
from streams.testing import AT, Bench, demo_bench, event
from streams.testing import clue as shared_clue
from streams.testing import finding as shared_finding


@pytest.fixture
def bench() -> Bench:
    return demo_bench()


def finding(unit_id: str, source: str, **kw: Any) -> Envelope[Any]:
    return shared_finding(unit_id, source, category=FindingCategory.CORRUPTION, summary="Kickbacks.", **kw)


def clue(unit_id: str, source: str, cadre_id: str | None = None) -> Envelope[Any]:
    return shared_clue(cadre_id, unit_id, source, clue_id="c-1")


def round_for(team: str, unit_ids: tuple[str, ...], source: str = "inspection-office") -> Envelope[Any]:
    payload = InspectionRoundPlanned(
        round_id="r-1", team_body_id=team, unit_ids=unit_ids, starts_at=AT, ends_at=AT + timedelta(days=20)
    )
    return event(payload, source, subject=Subject(kind=SubjectKind.REGION, id="city"))


def viewed(source: str, viewer_body: str = "yuzhong-commission") -> Envelope[Any]:
    payload = RecordViewed(viewer="zhou", viewer_body=viewer_body, record=ViewedRecord.CLUE, record_id="c-1")
    return event(payload, source, subject=Subject(kind=SubjectKind.BODY, id=viewer_body))


def reason(bench: Bench, e: Envelope[Any]) -> str | None:
    outcome = bench.publish(e)
    return outcome.quarantined.reason if outcome.quarantined else None


@pytest.mark.parametrize(
    ("what", "make", "expected"),
    [
        (
            "stationed agency about its own unit",
            lambda: finding("city-education", "stationed-education"),
            None,
        ),
        (
            "stationed agency about another unit",
            lambda: finding("yuzhong-hospital", "stationed-education"),
            "unauthorised",
        ),
        (
            "district commission in its district",
            lambda: finding("yuzhong-school", "yuzhong-commission"),
            None,
        ),
        (
            "district commission in another district",
            lambda: finding("jiangbei-school", "yuzhong-commission"),
            "unauthorised",
        ),
        (
            "district commission about a city unit",
            lambda: finding("city-bank", "yuzhong-commission"),
            "unauthorised",
        ),
        ("city office anywhere in the city", lambda: finding("jiangbei-school", "city-office-2"), None),
        (
            "letters office: a clue about a unit of the city above it",
            lambda: clue("city-education", "yuzhong-letters"),
            None,
        ),
        (
            "letters office: a clue about a municipal cadre in its district",
            lambda: clue("yuzhong-hospital", "yuzhong-letters", "cadre-qian"),
            None,
        ),
        (
            "letters office: a clue about another district (it is transferred there)",
            lambda: clue("jiangbei-school", "yuzhong-letters"),
            None,
        ),
        (
            "a clue naming a cadre outside the remit (receiving a clue is not a finding)",
            lambda: clue("yuzhong-hospital", "yuzhong-letters", "cadre-li"),
            None,
        ),
        ("a unit nobody registered", lambda: finding("nowhere-unit", "city-commission"), "unknown_subject"),
        (
            "a cadre nobody registered",
            lambda: clue("yuzhong-hospital", "yuzhong-letters", "cadre-ghost"),
            "unknown_subject",
        ),
        (
            "a kind of body the type does not allow",
            lambda: clue("city-bank", "city-leadership"),
            "unauthorised",
        ),
        (
            "an event only the bus derives",
            lambda: event(
                OutstandingIssueNotified(
                    finding_id="f-1",
                    unit_id="city-bank",
                    category=FindingCategory.CORRUPTION,
                    severity=Severity.HIGH,
                    notified_bodies=("city-commission",),
                ),
                "city-office-2",
            ),
            "unauthorised",
        ),
        ("a tick from a body", lambda: event(ClockTicked(tick_at=AT), "city-commission"), "unauthorised"),
        ("a tick from the bus", lambda: event(ClockTicked(tick_at=AT), "bus"), None),
        ("the dashboards record who opened a clue", lambda: viewed("dashboard"), None),
        ("case management records a view itself", lambda: viewed("yuzhong-case-mgmt"), "unauthorised"),
        ("the bus records a view", lambda: viewed("bus"), "unauthorised"),
        ("the dashboards record a view by no body", lambda: viewed("dashboard", "ghost"), "unknown_subject"),
        (
            "an inspection team without a round",
            lambda: finding("yuzhong-school", "inspection-team-1"),
            "unauthorised",
        ),
        (
            "an inspection team planning a round of its own",
            lambda: round_for("inspection-team-1", ("yuzhong-school",), source="inspection-team-1"),
            None,
        ),
        (
            "an inspection team planning another team's round",
            lambda: round_for("inspection-office", ("yuzhong-school",), source="inspection-team-1"),
            "unauthorised",
        ),
    ],
)
def test_authority(bench: Bench, what: str, make: Any, expected: str | None) -> None:
    assert reason(bench, make()) == expected


def test_an_inspection_team_may_speak_about_its_units_only_while_its_round_is_under_way(bench: Bench) -> None:
    assert reason(bench, round_for("inspection-team-1", ("yuzhong-school",))) is None
    assert reason(bench, finding("yuzhong-school", "inspection-team-1", at=AT + timedelta(days=1))) is None
    assert (
        reason(bench, finding("yuzhong-school", "inspection-team-1", at=AT + timedelta(days=21)))
        == "unauthorised"
    )
    assert (
        reason(bench, finding("jiangbei-school", "inspection-team-1", at=AT + timedelta(days=1)))
        == "unauthorised"
    )


def test_forged_signature(bench: Bench) -> None:
    outcome = bench.publish(finding("city-bank", "city-office-2"), key=SigningKey.generate("city-office-2:1"))
    assert outcome.quarantined is not None and outcome.quarantined.reason == "bad_signature"


def test_unknown_key(bench: Bench) -> None:
    outcome = bench.publish(finding("city-bank", "city-office-2"), key=SigningKey.generate("city-office-2:9"))
    assert outcome.quarantined is not None and outcome.quarantined.reason == "unknown_key"


def test_revoked_key(bench: Bench) -> None:
    revocation = event(
        SigningKeyRevoked(body_id="city-office-2", key_id="city-office-2:1", reason="Laptop lost."),
        "registrar",
        subject=Subject(kind=SubjectKind.BODY, id="city-office-2"),
        at=AT - timedelta(days=1),
    )
    assert bench.publish(revocation).quarantined is None
    outcome = bench.publish(finding("city-bank", "city-office-2"))
    assert outcome.quarantined is not None and outcome.quarantined.reason == "revoked_key"


def test_reference_data_only_from_the_registrar(bench: Bench) -> None:
    revocation = event(
        SigningKeyRevoked(body_id="city-office-2", key_id="city-office-2:1", reason="Hostile."),
        "city-commission",
        subject=Subject(kind=SubjectKind.BODY, id="city-office-2"),
    )
    assert reason(bench, revocation) == "unauthorised"
    assert reason(bench, finding("city-bank", "city-office-2")) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff not json at all", "invalid"),
        (b"[1, 2, 3]", "invalid"),
        (b'{"event_type": "ParadeHeld", "schema_version": 1}', "unknown_type"),
        (b"{" + b" " * 70_000 + b"}", "too_large"),
    ],
)
def test_bytes_that_are_not_an_event(bench: Bench, raw: bytes, expected: str) -> None:
    outcome = bench.send_raw("city-office-1", raw)
    assert outcome.quarantined is not None and outcome.quarantined.reason == expected
    assert outcome.event_type == "unknown"
    [write] = outcome.writes
    assert write.role == "quarantine"
    assert json.loads(write.value)["reason"] == expected


def test_an_event_on_another_body_s_topic(bench: Bench) -> None:
    signed = bench.sign(finding("city-bank", "city-office-2"))
    outcome = bench.send_raw("city-office-1", encode_event(signed))
    assert outcome.quarantined is not None and outcome.quarantined.reason == "unauthorised"


def test_a_refusal_never_stops_what_follows(bench: Bench) -> None:
    assert bench.send_raw("city-office-2", b"garbage").quarantined is not None
    ok = bench.publish(finding("city-bank", "city-office-2"))
    assert ok.quarantined is None and ok.writes[0].role == "log"
