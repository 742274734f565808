"""Per-body sequence numbers at the gate: a gap or a repeat from one body is refused with the numbers
concerned; every number the gate authenticated is accounted for on the log, so the body's next
event follows on, also after a restart that folds the log again."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import Envelope, SigningKey, decode_event, encode_event, sign_event
from schemas.events.clues import Informant
from streams.router import Outcome
from streams.state import BusState
from streams.testing import AT, Bench, clue, demo_bench, finding

SOURCE = "city-office-1"


@pytest.fixture
def bench() -> Bench:
    return demo_bench()


def numbered(e: Envelope[Any], sequence: int | None) -> Envelope[Any]:
    return e.model_copy(update={"sequence": sequence})


def a_finding(n: int) -> Envelope[Any]:
    return finding("yuzhong-hospital", SOURCE, finding_id=f"f-{n}")


def send(bench: Bench, e: Envelope[Any], sequence: int | None, key: SigningKey | None = None) -> Outcome:
    return bench.publish(numbered(e, sequence), key)


def reason(outcome: Outcome) -> str | None:
    return outcome.quarantined.reason if outcome.quarantined else None


def notices(outcome: Outcome) -> list[Any]:
    return [e.payload for e in outcome.logged if e.event_type == "EventRefused"]


def test_numbers_in_order_are_accepted_and_counted(bench: Bench) -> None:
    for n in (1, 2, 3):
        assert reason(send(bench, a_finding(n), n)) is None
    assert bench.state.last_sequence(SOURCE) == 3


def test_a_gap_is_refused_naming_the_missing_numbers_and_the_count_moves_past_it(bench: Bench) -> None:
    send(bench, a_finding(1), 1)
    outcome = send(bench, a_finding(5), 5)
    assert reason(outcome) == "sequence_gap"
    assert "2 to 4 never reached the bus" in outcome.quarantined.detail  # type: ignore[union-attr]
    [notice] = notices(outcome)
    assert (notice.sender, notice.sequence, notice.reason) == (SOURCE, 5, "sequence_gap")
    assert reason(send(bench, a_finding(6), 6)) is None


def test_a_repeated_number_on_another_event_is_refused(bench: Bench) -> None:
    send(bench, a_finding(1), 1)
    send(bench, a_finding(2), 2)
    outcome = send(bench, a_finding(3), 2)
    assert reason(outcome) == "sequence_repeat"
    assert "already used sequence 2" in outcome.quarantined.detail  # type: ignore[union-attr]
    assert bench.state.last_sequence(SOURCE) == 2
    assert reason(send(bench, a_finding(4), 3)) is None


def test_an_event_without_a_number_is_refused(bench: Bench) -> None:
    unnumbered = sign_event(a_finding(1), bench.keys[SOURCE])
    assert reason(bench.send_raw(SOURCE, encode_event(unnumbered))) == "sequence_missing"


def test_the_bus_clock_needs_no_number(bench: Bench) -> None:
    outcome = bench.tick(AT)
    assert outcome.quarantined is None and outcome.logged


def test_a_refusal_of_an_authenticated_event_goes_to_its_sender_and_counts(bench: Bench) -> None:
    """A body outside its remit is refused for that; its number is spent all the same."""
    stationed = "stationed-education"
    outcome = send(bench, finding("yuzhong-hospital", stationed), 1)
    assert reason(outcome) == "unauthorised"
    [notice] = notices(outcome)
    assert (notice.sender, notice.sequence, notice.reason) == (stationed, 1, "unauthorised")
    inboxes = [w.topic for w in outcome.writes if w.role == "inbox"]
    assert inboxes == [bench.topics.inbox(stationed)]
    assert reason(send(bench, finding("city-education", stationed), 2)) is None


def test_a_forged_event_spends_no_number_and_tells_no_one(bench: Bench) -> None:
    forger = SigningKey.generate(f"{SOURCE}:1")
    outcome = send(bench, a_finding(1), 1, forger)
    assert reason(outcome) == "bad_signature"
    assert outcome.logged == () and bench.state.last_sequence(SOURCE) == 0
    assert reason(send(bench, a_finding(2), 1)) is None


def test_a_resend_of_the_same_bytes_is_a_silent_duplicate(bench: Bench) -> None:
    e = bench.sign(numbered(a_finding(1), 1))
    record = encode_event(e)
    bench.send_raw(SOURCE, record)
    again = bench.send_raw(SOURCE, record)
    assert again.duplicate and again.writes == ()


def test_the_same_event_under_a_new_number_is_not_routed_again_but_its_number_counts(bench: Bench) -> None:
    """What a publisher without an outbox does when told to publish an event twice."""
    e = a_finding(1)
    send(bench, e, 1)
    outcome = send(bench, e, 2)
    assert outcome.duplicate and outcome.quarantined is None
    assert [w.role for w in outcome.writes] == ["log", "inbox"]
    [notice] = notices(outcome)
    assert (notice.reason, notice.sequence) == ("duplicate", 2)
    assert reason(send(bench, a_finding(3), 3)) is None


def test_a_refused_event_may_be_published_again_under_a_new_number(bench: Bench) -> None:
    e = a_finding(1)
    assert reason(send(bench, e, 2)) == "sequence_gap"
    assert reason(send(bench, e, 3)) is None


def test_the_count_is_folded_back_from_the_log(bench: Bench) -> None:
    """A restarted worker folds the log (accepted events and refusal notices) into the same count."""
    outcomes = [send(bench, a_finding(1), 1), send(bench, a_finding(9), 9), send(bench, a_finding(10), 10)]
    restarted = BusState()
    for e in [e for o in outcomes for e in o.logged]:
        restarted.apply(decode_event(encode_event(e)))
    assert restarted.last_sequence(SOURCE) == 10


def test_a_clue_sealed_afresh_is_the_same_event(bench: Bench) -> None:
    """The SDK seals an informant with a new content key each time; the bus cannot compare what it
    cannot open, so a protected field does not make a repeat a reuse (the first version stands)."""
    first = clue("cadre-sun", "yuzhong-hospital", "city-letters", informant=Informant(name="A. Citizen"))
    again = first.model_copy(
        update={"payload": first.payload.model_copy(update={"informant": Informant(name="B. Citizen")})}
    )
    send(bench, first, 1)
    outcome = send(bench, again, 2)
    assert outcome.duplicate and outcome.quarantined is None
    assert [n.reason for n in notices(outcome)] == ["duplicate"]
