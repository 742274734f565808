"""Handling codes beyond routing: what a receiver may cite, transfer or have the bus share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from schemas import Envelope
from schemas.enums import Classification, Handling, Severity
from schemas.events.clues import ClueTransferred
from schemas.events.followup import PassOnConsented
from schemas.events.rectification import RectificationRequired
from streams.derived import Policy
from streams.router import Outcome
from streams.state import stricter
from streams.testing import AT, clue, demo_bench, event, finding

HOUR = timedelta(hours=1)
SUPERVISION_ONLY, WITH_CONSENT = Handling.SUPERVISION_ONLY, Handling.WITH_CONSENT


def refusal(outcome: Outcome) -> str | None:
    return outcome.quarantined.reason if outcome.quarantined else None


def citing(e: Envelope[Any], cause: Envelope[Any]) -> Envelope[Any]:
    return e.model_copy(update={"causation_id": cause.event_id})


def rectification(**kw: Any) -> Envelope[Any]:
    payload = RectificationRequired(
        rectification_id="rect-h",
        unit_id="city-education",
        description="Fix it.",
        deadline=AT + 30 * 24 * HOUR,
        supervising_bodies=("stationed-education",),
    )
    return event(payload, "stationed-education", at=AT + HOUR, **kw)


def test_what_cites_a_restricted_fact_keeps_its_codes() -> None:
    bench = demo_bench()
    cause = finding("city-education", "city-office-1", handling=SUPERVISION_ONLY)
    assert refusal(bench.publish(cause)) is None
    weaker = bench.publish(citing(rectification(), cause))
    assert refusal(weaker) == "handling_weakened"
    assert refusal(bench.publish(citing(rectification(handling=Handling.NEVER_PASS_ON), cause))) is None


def test_a_fact_for_supervision_only_is_not_cited_by_clue_handling_but_by_its_source() -> None:
    bench = demo_bench()
    cause = finding("city-education", "city-commission", handling=SUPERVISION_ONLY)
    assert refusal(bench.publish(cause)) is None
    a_clue = clue("cadre-zhao", "city-education", "city-letters", handling=SUPERVISION_ONLY, at=AT + HOUR)
    assert refusal(bench.publish(citing(a_clue, cause))) == "supervision_only"
    own = clue("cadre-zhao", "city-education", "city-commission", clue_id="clue-2", handling=SUPERVISION_ONLY)
    assert refusal(bench.publish(citing(own, cause))) is None


def _transfer(at_hours: int) -> Envelope[Any]:
    payload = ClueTransferred(
        clue_id="clue-1", from_body="yuzhong-commission", to_body="city-commission", reason="Wider matter."
    )
    return event(payload, "yuzhong-commission", at=AT + at_hours * HOUR, correlation_id="m-c")


def test_a_clue_received_with_consent_is_transferred_on_only_after_its_source_consents() -> None:
    bench = demo_bench()
    received = clue(
        "cadre-sun", "yuzhong-hospital", "yuzhong-letters", handling=WITH_CONSENT, correlation_id="m-c"
    )
    assert refusal(bench.publish(received)) is None
    assert bench.state.transferred_to("clue-1") is None  # the jurisdiction's own: no transfer needed
    assert refusal(bench.publish(_transfer(1))) == "needs_consent"

    consent = PassOnConsented(event_id=str(received.event_id), consented_to="yuzhong-commission")
    stranger = bench.publish(event(consent, "yuzhong-commission", at=AT + 2 * HOUR, correlation_id="m-c"))
    assert refusal(stranger) == "not_source"
    given = bench.publish(event(consent, "yuzhong-letters", at=AT + 2 * HOUR, correlation_id="m-c"))
    assert refusal(given) is None
    assert {w.topic for w in given.writes if w.role == "inbox"} == {
        bench.topics.inbox("yuzhong-letters"),
        bench.topics.inbox("yuzhong-commission"),
    }
    assert refusal(bench.publish(_transfer(3))) is None
    assert bench.state.transferred_to("clue-1") == "city-commission"


def test_the_bus_shares_no_fact_marked_with_consent() -> None:
    bench = demo_bench(policy=Policy(systemic_min_units=3, systemic_min_regions=3, systemic_min_sectors=9))
    high = finding("yuzhong-hospital", "city-office-1", severity=Severity.HIGH, handling=WITH_CONSENT)
    assert bench.publish(high).logged[1:] == ()  # no outstanding-issue notice
    places = [
        ("city-education", "stationed-education"),
        ("yuzhong-school", "yuzhong-commission"),
        ("jiangbei-school", "jiangbei-commission"),
    ]
    derived = []
    for n, (unit, source) in enumerate(places):  # one matter across three regions
        outcome = bench.publish(
            finding(unit, source, finding_id=f"f-{n}", handling=WITH_CONSENT, correlation_id="m-x")
        )
        assert refusal(outcome) is None
        derived += outcome.logged[1:]
    assert derived == []  # no cross-boundary proposal
    assert bench.tick(AT + 24 * HOUR).logged[1:] == ()  # no systemic issue


def test_the_same_facts_under_the_ordinary_code_are_shared() -> None:
    bench = demo_bench(policy=Policy(systemic_min_units=3, systemic_min_regions=3, systemic_min_sectors=9))
    high = finding("yuzhong-hospital", "city-office-1", severity=Severity.HIGH, handling=SUPERVISION_ONLY)
    assert [e.event_type for e in bench.publish(high).logged[1:]] == ["OutstandingIssueNotified"]


def test_codes_rank_least_to_most_restrictive_in_their_declared_order():
    assert [h.rank for h in Handling] == [0, 1, 2, 3]
    assert Handling.NEVER_PASS_ON.rank > Handling.SUPERVISION_ONLY.rank > Handling.WITHIN_JURISDICTION.rank
    assert [c.rank for c in Classification] == [0, 1, 2]
    assert stricter(Classification.RESTRICTED, Classification.INTERNAL) == Classification.RESTRICTED
    assert stricter(Handling.WITH_CONSENT, Handling.NEVER_PASS_ON) == Handling.NEVER_PASS_ON
