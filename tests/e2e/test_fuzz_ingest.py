"""Fuzzing the router on the real broker: thousands of mutated ingest records among valid ones. The
worker stays up, every valid event reaches the log, every mutated record is quarantined, counted.

The mutations are those of the hypothesis property test of the gate (tests/unit/test_fuzz_gate.py),
drawn here from a fixed seed: one broker run is too slow for hypothesis to explore and shrink."""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError

from fourfold.acl import OPERATOR
from fourfold.demo import scenario
from producers.directory import Directory
from schemas import encode_event, sign_event
from schemas.confidential import seal_protected
from streams.testing import read_records
from tests.mutations import mutated

pytestmark = pytest.mark.e2e

MUTATED = 2_000
VALID = 40


def valid_events(bus, tag: str) -> list[bytes]:
    """The demo's first clue, again and again, each time with its own id and matter, its informant
    sealed and numbered as the SDK would."""
    [clue, _] = scenario()
    key = bus.container.keys.load(clue.body_id)
    directory = Directory.load(bus.settings.key_directory_file)
    out = []
    for i in range(VALID):
        payload = clue.event.payload.model_copy(update={"clue_id": f"{tag}-{i}"})
        event = clue.event.model_copy(
            update={
                "event_id": uuid.uuid4(),
                "payload": payload,
                "correlation_id": f"{tag}-{i}",
                "occurred_at": clue.event.occurred_at + timedelta(seconds=i),
                "sequence": i + 1,
            }
        )
        out.append(encode_event(sign_event(seal_protected(event, directory.recipients(event)), key)))
    return out


def test_thousands_of_mutated_records_are_all_accounted_for(running_bus) -> None:
    rng = random.Random(20261201)
    bus = running_bus.start(projector=False)
    topics = bus.container.topics
    body_id = scenario()[0].body_id
    topic = topics.ingest(body_id)
    valid = valid_events(bus, f"fuzz{rng.randrange(10**6)}")
    records = [mutated(rng.choice(valid), rng) for _ in range(MUTATED)]
    for at, value in zip(sorted(rng.sample(range(MUTATED + VALID), VALID)), valid, strict=True):
        records.insert(at, value)  # anywhere among the mutants, in the order of their numbers

    # the body's own client, past the SDK: all a body may do is write its own ingest topic. Not
    # idempotent: kafka-python's idempotent producer takes the broker's refusal of one oversized
    # record as fatal and aborts every batch still pending, the valid events with them.
    producer = KafkaProducer(
        **bus.container.access(body_id).kafka_python(),
        acks="all",
        max_request_size=1 << 20,
        enable_idempotence=False,
    )
    accepted_by_broker = 0
    futures = [producer.send(topic, key=b"fuzz", value=value) for value in records]
    producer.flush()
    for future in futures:
        try:
            future.get(timeout=30)
            accepted_by_broker += 1
        except KafkaError:  # over the ingest topic's max.message.bytes: refused at the door
            pass
    producer.close()
    refused_at_door = len(records) - accepted_by_broker
    valid_ids = {json.loads(v)["event_id"] for v in valid}

    operator = bus.container.access(OPERATOR)

    def counted() -> tuple[int, int]:
        """Read to the topics' ends (not until a pause, which a loaded machine makes early)."""
        log = [json.loads(v) for _, v in read_records(operator, [topics.log])]
        refused = [json.loads(v) for _, v in read_records(operator, [topics.quarantine])]
        logged = {e["event_id"] for e in log} & valid_ids
        return len(logged), sum(q["source_topic"] == topic for q in refused)

    bus.wait_until(lambda: sum(counted()) >= accepted_by_broker, 180, "every fuzzed record to be routed")
    logged, quarantined = counted()
    assert logged == VALID
    assert quarantined == MUTATED - refused_at_door
    assert all(child.alive for child in bus.children)
    print(f"{MUTATED} mutated: {quarantined} quarantined, {refused_at_door} refused; {logged} logged")
