"""The gate's integrity rules without Kafka: claimed time, trust anchors, key revocation, clue custody,
the matter of a follow-up, ids taken once, bodies a payload addresses, and quarantine records that
stay small."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import Envelope, SigningKey, Subject, new_event
from schemas.anchors import Anchor
from schemas.enums import (
    Disposition,
    Handling,
    InformationCredibility,
    PlanKind,
    SourceReliability,
    SubjectKind,
    VerificationOutcome,
)
from schemas.events.clues import ClueDisposed, ClueRegraded, ClueTransferred
from schemas.events.coordination import (
    CaseReformRecommended,
    CollaborativeOversightApproved,
    CollaborativeOversightCompleted,
    PlanItem,
    PlanItemCompleted,
    SupervisionPlanIssued,
)
from schemas.events.followup import PassOnConsented
from schemas.events.inspection import BriefingSubmitted, InspectionRoundPlanned
from schemas.events.rectification import (
    RectificationCompleted,
    RectificationProgressReported,
    RectificationRequired,
    RectificationVerified,
)
from schemas.events.reference import SigningKeyRegistered, SigningKeyRevoked
from streams.router import RAW_PREFIX_BYTES
from streams.testing import AT, REGISTRAR, Bench, clue, demo_bench, event


@pytest.fixture
def bench() -> Bench:
    return demo_bench()


def reason(bench: Bench, e: Envelope[Any], key: SigningKey | None = None, **kw: Any) -> str | None:
    outcome = bench.router.handle(bench.record(_wire(bench, e, key), e.source_body, **kw))
    return outcome.quarantined.reason if outcome.quarantined else None


def _wire(bench: Bench, e: Envelope[Any], key: SigningKey | None) -> bytes:
    from schemas import encode_event

    return encode_event(bench.sign(e, key))


def follow(
    payload: Any, source: str, *, at: datetime = AT + timedelta(hours=1), matter: str = "m-1"
) -> Envelope[Any]:
    return event(
        payload, source, at=at, correlation_id=matter, subject=Subject(kind=SubjectKind.CADRE, id="cadre-sun")
    )


def transfer(source: str, from_body: str, to_body: str, **kw: Any) -> Envelope[Any]:
    return follow(
        ClueTransferred(clue_id="c-1", from_body=from_body, to_body=to_body, reason="Why."), source, **kw
    )


@pytest.fixture
def held(bench: Bench) -> Bench:
    """A district cadre's clue received in the district: yuzhong-commission holds it, matter m-1."""
    received = clue("cadre-sun", "yuzhong-hospital", "yuzhong-letters", clue_id="c-1", correlation_id="m-1")
    assert reason(bench, received) is None
    return bench


# -- time -----------------------------------------------------------------------------------------


def test_an_event_dated_beyond_the_skew_after_its_arrival_is_future_dated(bench: Bench) -> None:
    received = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    late_enough = clue("cadre-sun", "yuzhong-hospital", "yuzhong-letters", at=received + timedelta(minutes=4))
    assert reason(bench, late_enough, received_at=received) is None
    too_far = clue(
        "cadre-sun", "yuzhong-hospital", "yuzhong-letters", clue_id="c-2", at=received + timedelta(minutes=6)
    )
    assert reason(bench, too_far, received_at=received) == "future_dated"


def test_a_clue_follow_up_must_come_after_the_clue_s_last_fact(held: Bench) -> None:
    before = transfer(
        "yuzhong-commission", "yuzhong-commission", "city-commission", at=AT - timedelta(days=1)
    )
    assert reason(held, before) == "out_of_order"


def test_a_reference_fact_dated_before_the_current_one_is_refused(bench: Bench) -> None:
    key = SigningKey.generate("yuzhong-letters:7")
    payload = SigningKeyRegistered(
        body_id="yuzhong-letters", key_id=key.key_id, public_key=key.verify_key.text
    )
    subject = Subject(kind=SubjectKind.BODY, id="yuzhong-letters")
    first = new_event(payload, source_body=REGISTRAR, occurred_at=AT, subject=subject)
    assert reason(bench, first) is None
    revoke = SigningKeyRevoked(body_id="yuzhong-letters", key_id=key.key_id, reason="lost")
    backdated = new_event(revoke, source_body=REGISTRAR, occurred_at=AT - timedelta(days=1), subject=subject)
    assert reason(bench, backdated) == "out_of_order"


# -- keys -----------------------------------------------------------------------------------------


def test_a_revoked_key_id_is_never_registered_again(bench: Bench) -> None:
    key = bench.keys["yuzhong-letters"]
    subject = Subject(kind=SubjectKind.BODY, id="yuzhong-letters")
    revoke = SigningKeyRevoked(body_id="yuzhong-letters", key_id=key.key_id, reason="lost")
    assert reason(bench, new_event(revoke, source_body=REGISTRAR, occurred_at=AT, subject=subject)) is None
    again = SigningKeyRegistered(body_id="yuzhong-letters", key_id=key.key_id, public_key=key.verify_key.text)
    later = AT + timedelta(days=1)
    assert (
        reason(bench, new_event(again, source_body=REGISTRAR, occurred_at=later, subject=subject))
        == "revoked_key"
    )
    assert reason(bench, clue("cadre-sun", "yuzhong-hospital", "yuzhong-letters")) == "revoked_key"


def test_a_key_id_cannot_be_registered_to_another_public_key(bench: Bench) -> None:
    other = SigningKey.generate("yuzhong-letters:1")
    payload = SigningKeyRegistered(
        body_id="yuzhong-letters", key_id=other.key_id, public_key=other.verify_key.text
    )
    subject = Subject(kind=SubjectKind.BODY, id="yuzhong-letters")
    later = AT + timedelta(days=1)
    assert reason(bench, new_event(payload, source_body=REGISTRAR, occurred_at=later, subject=subject)) == (
        "duplicate_id_reuse"
    )


def test_registrar_anchors_count_only_within_their_validity(bench: Bench) -> None:
    """Rotation: the old key is trusted until the change-over, the new one from then on."""
    change_over = datetime(2026, 6, 1, tzinfo=UTC)
    old, new = bench.keys[REGISTRAR], SigningKey.generate("registrar:2")
    bench.registry.trust(Anchor(REGISTRAR, old.verify_key, valid_until=change_over))
    bench.registry.trust(Anchor(REGISTRAR, new.verify_key, valid_from=change_over))
    subject = Subject(kind=SubjectKind.BODY, id="yuzhong-letters")

    def revoke(n: int) -> Envelope[Any]:
        payload = SigningKeyRevoked(body_id="yuzhong-letters", key_id=f"yuzhong-letters:{n}", reason="x")
        return new_event(payload, source_body=REGISTRAR, occurred_at=AT, subject=subject)

    before, after = change_over - timedelta(hours=1), change_over + timedelta(hours=1)
    assert reason(bench, revoke(11), old, received_at=before) is None
    assert reason(bench, revoke(12), old, received_at=after) == "revoked_key"
    assert reason(bench, revoke(13), new, received_at=before) == "revoked_key"
    # what an untrusted key signed is not the registrar's: its numbers do not count
    follows_on = revoke(14).model_copy(update={"sequence": bench.state.last_sequence(REGISTRAR) + 1})
    assert reason(bench, follows_on, new, received_at=after) is None


# -- custody --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "make", "expected"),
    [
        (
            "the holder transfers up",
            lambda: transfer("yuzhong-commission", "yuzhong-commission", "city-commission"),
            None,
        ),
        (
            "the holder's case management acts for it",
            lambda: transfer("yuzhong-case-mgmt", "yuzhong-commission", "city-commission"),
            None,
        ),
        (
            "a body that never held it takes it",
            lambda: transfer("city-office-1", "yuzhong-commission", "city-office-1"),
            "not_holder",
        ),
        (
            "a transfer naming another holder",
            lambda: transfer("yuzhong-commission", "yuzhong-letters", "city-commission"),
            "not_holder",
        ),
        (
            "another commission's office disposes of it",
            lambda: follow(
                ClueDisposed(clue_id="c-1", disposition=Disposition.CLOSED, reason="x"), "city-review"
            ),
            "not_holder",
        ),
        (
            "another commission regrades it",
            lambda: follow(
                ClueRegraded(
                    clue_id="c-1",
                    reliability=SourceReliability.A,
                    credibility=InformationCredibility.KNOWN_TRUE,
                    reason="x",
                ),
                "city-commission",
            ),
            "not_holder",
        ),
        (
            "a follow-up for a clue nobody knows",
            lambda: follow(
                ClueDisposed(clue_id="c-9", disposition=Disposition.CLOSED, reason="x"), "yuzhong-commission"
            ),
            "unknown_clue",
        ),
        (
            "a follow-up in another matter",
            lambda: transfer("yuzhong-commission", "yuzhong-commission", "city-commission", matter="m-2"),
            "wrong_matter",
        ),
        (
            "a transfer to a body out of the source's reach",
            lambda: transfer("yuzhong-commission", "yuzhong-commission", "jiangbei-commission"),
            "unauthorised",
        ),
        (
            "the same clue id again",
            lambda: clue("cadre-qian", "city-bank", "city-letters", clue_id="c-1", correlation_id="m-3"),
            "duplicate_id_reuse",
        ),
    ],
)
def test_custody(held: Bench, what: str, make: Any, expected: str | None) -> None:
    assert reason(held, make()) == expected, what


def test_after_a_transfer_custody_is_the_new_holder_s(held: Bench) -> None:
    assert reason(held, transfer("yuzhong-commission", "yuzhong-commission", "city-commission")) is None
    later = AT + timedelta(hours=2)
    back = transfer("yuzhong-commission", "yuzhong-commission", "yuzhong-letters", at=later)
    assert reason(held, back) == "not_holder"
    assert reason(held, transfer("city-case-mgmt", "city-commission", "yuzhong-commission", at=later)) is None


# -- follow-ups of plans and joint oversight: in the matter of what they follow -------------------


CITY = Subject(kind=SubjectKind.REGION, id="city")


def test_a_plan_item_is_completed_in_its_plan_s_matter(bench: Bench) -> None:
    item = PlanItem(item_id="i-1", content="c", standard="s", due_at=AT, assigned_bodies=("city-office-1",))
    plan = SupervisionPlanIssued(plan_id="p-1", year=2026, kind=PlanKind.ANNUAL, title="Plan", items=(item,))
    assert reason(bench, event(plan, "city-comprehensive", subject=CITY, correlation_id="m-plan")) is None
    done = PlanItemCompleted(plan_id="p-1", item_id="i-1", summary="Done.")
    assert reason(bench, event(done, "city-office-1", subject=CITY, correlation_id="p-1")) == "wrong_matter"
    assert reason(bench, event(done, "city-office-1", subject=CITY, correlation_id="m-plan")) is None
    unknown = PlanItemCompleted(plan_id="p-9", item_id="i-1", summary="Done.")
    assert reason(bench, event(unknown, "city-office-1", subject=CITY, correlation_id="m-9")) is None


def test_a_joint_oversight_is_concluded_in_the_matter_it_was_approved_in(bench: Bench) -> None:
    approved = CollaborativeOversightApproved(
        matter_id="jo-1", lead_body="city-office-1", participating_bodies=("stationed-education",)
    )
    assert reason(bench, event(approved, "city-comprehensive", subject=CITY, correlation_id="m-jo")) is None
    done = CollaborativeOversightCompleted(matter_id="jo-1", summary="Done.")
    elsewhere = event(done, "city-comprehensive", subject=CITY, correlation_id="jo-1")
    assert reason(bench, elsewhere) == "wrong_matter"
    outcome = bench.publish(event(done, "city-comprehensive", subject=CITY, correlation_id="m-jo"))
    assert outcome.quarantined is None
    assert {w.topic for w in outcome.writes if w.role == "inbox"} == {
        bench.topics.inbox(b) for b in ("city-comprehensive", "city-office-1", "stationed-education")
    }


def test_a_rectification_is_followed_up_in_its_matter_whatever_its_id(bench: Bench) -> None:
    required = RectificationRequired(
        rectification_id="r-1",
        unit_id="city-education",
        description="Fix it.",
        deadline=AT + timedelta(days=30),
        supervising_bodies=("stationed-education",),
    )
    unit = Subject(kind=SubjectKind.UNIT, id="city-education")
    assert reason(bench, event(required, "city-office-1", subject=unit, correlation_id="m-round")) is None
    follow_ups = [
        RectificationProgressReported(rectification_id="r-1", percent_complete=50, note="Half."),
        RectificationCompleted(rectification_id="r-1", summary="Done."),
        RectificationVerified(rectification_id="r-1", outcome=VerificationOutcome.ACCEPTED, note="Ok."),
    ]
    for n, payload in enumerate(follow_ups, start=1):
        at = AT + timedelta(days=n)
        by_default = event(payload, "stationed-education", at=at, subject=unit, correlation_id="r-1")
        assert reason(bench, by_default) == "wrong_matter", payload.event_type
        assert (
            reason(
                bench, event(payload, "stationed-education", at=at, subject=unit, correlation_id="m-round")
            )
            is None
        )


def test_a_case_driven_reform_is_followed_up_in_its_case_s_matter(bench: Bench) -> None:
    reform = CaseReformRecommended(
        case_id="case-1",
        recommendation_id="reform-1",
        unit_id="city-education",
        recommendations="Publish the accounts.",
        deadline=AT + timedelta(days=30),
    )
    unit = Subject(kind=SubjectKind.UNIT, id="city-education")
    assert reason(bench, event(reform, "city-review", subject=unit, correlation_id="case-1")) is None
    done = RectificationCompleted(rectification_id="reform-1", summary="Published.")
    elsewhere = event(done, "stationed-education", subject=unit, correlation_id="reform-1")
    assert reason(bench, elsewhere) == "wrong_matter"
    assert reason(bench, event(done, "stationed-education", subject=unit, correlation_id="case-1")) is None


def test_a_briefing_asked_for_is_given_in_the_matter_of_the_request(bench: Bench) -> None:
    planned = InspectionRoundPlanned(
        round_id="round-b",
        team_body_id="inspection-team-1",
        unit_ids=("city-education",),
        starts_at=AT + timedelta(days=10),
        ends_at=AT + timedelta(days=40),
    )
    assert reason(bench, event(planned, "inspection-office", subject=CITY, correlation_id="m-round")) is None
    brief = BriefingSubmitted(
        round_id="round-b", unit_id="city-education", team_body_id="inspection-team-1", summary="Briefed."
    )
    unit = Subject(kind=SubjectKind.UNIT, id="city-education")
    at = AT + timedelta(days=2)
    elsewhere = event(brief, "stationed-education", at=at, subject=unit, correlation_id="round-b")
    assert reason(bench, elsewhere) == "wrong_matter"
    in_matter = event(brief, "stationed-education", at=at, subject=unit, correlation_id="m-round")
    assert reason(bench, in_matter) is None
    unasked = brief.model_copy(update={"round_id": "round-unplanned"})
    assert reason(bench, event(unasked, "stationed-education", at=at, subject=unit)) is None


def test_a_consent_to_pass_a_fact_on_is_given_in_the_fact_s_matter(bench: Bench) -> None:
    received = clue(
        "cadre-sun",
        "yuzhong-hospital",
        "yuzhong-letters",
        handling=Handling.WITH_CONSENT,
        correlation_id="m-c",
    )
    assert reason(bench, received) is None
    consent = PassOnConsented(event_id=str(received.event_id), consented_to="yuzhong-commission")
    at = AT + timedelta(hours=2)
    by_default = event(consent, "yuzhong-letters", at=at)
    assert reason(bench, by_default) == "wrong_matter"
    assert reason(bench, event(consent, "yuzhong-letters", at=at, correlation_id="m-c")) is None


def test_a_payload_may_address_only_bodies_within_the_source_s_reach(bench: Bench) -> None:
    def rectification(rect_id: str, bodies: tuple[str, ...]) -> Envelope[Any]:
        payload = RectificationRequired(
            rectification_id=rect_id,
            unit_id="yuzhong-hospital",
            description="Fix it.",
            deadline=AT + timedelta(days=30),
            supervising_bodies=bodies,
        )
        return event(payload, "yuzhong-commission")

    assert reason(bench, rectification("r-1", ("yuzhong-commission", "city-office-1"))) is None
    assert reason(bench, rectification("r-2", ("jiangbei-commission",))) == "unauthorised"
    assert reason(bench, rectification("r-3", ("bus",))) == "unauthorised"
    assert reason(bench, rectification("r-1", ("yuzhong-commission",))) == "duplicate_id_reuse"


def test_a_body_that_receives_no_clues_is_told_who_does(bench: Bench) -> None:
    outcome = bench.publish(clue("cadre-qian", "city-bank", "city-leadership"))
    assert outcome.quarantined is not None and outcome.quarantined.reason == "unauthorised"
    assert "city-letters" in outcome.quarantined.detail


# -- quarantine records stay small ----------------------------------------------------------------


def test_a_quarantine_record_keeps_a_prefix_a_digest_and_the_length(bench: Bench) -> None:
    outcome = bench.send_raw("yuzhong-letters", b"\x01" * 200_000)
    [write] = outcome.writes
    record = json.loads(write.value)
    assert record["reason"] == "too_large" and record["raw_length"] == 200_000
    assert len(record["raw"]) == RAW_PREFIX_BYTES and len(record["raw_sha256"]) == 64
    assert len(write.value) < 4_000
