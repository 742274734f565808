"""Fuzzing the gate without Kafka: thousands of mutated ingest records, each quarantined in bounds."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fourfold.demo import scenario
from schemas import encode_event
from streams.router import MAX_OUTPUT_BYTES
from streams.testing import demo_bench
from tests.mutations import MUTATIONS, mutated

BENCH = demo_bench()
VALID = [(item.body_id, encode_event(BENCH.sign(item.event))) for item in scenario()]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pick=st.sampled_from(VALID),
    mutation=st.sampled_from(MUTATIONS),
    rng=st.randoms(use_true_random=False),
)
def test_a_mutated_record_is_quarantined_with_a_bounded_record(pick, mutation, rng: random.Random) -> None:
    body_id, raw = pick
    outcome = BENCH.send_raw(body_id, mutated(raw, rng, mutation))
    assert outcome.quarantined is not None, "a changed record was accepted"
    [write] = outcome.writes
    assert write.role == "quarantine" and len(write.value) < 4_000 < MAX_OUTPUT_BYTES
    assert outcome.quarantined.raw_length is not None and outcome.quarantined.raw_sha256 is not None
