"""Per-body sequence numbers on the real broker. The operator deletes the head of a body's ingest
topic before the router reads it: the next event is refused as a gap naming the lost numbers, the
body's inbox says so, and its later events are routed. A copy of the body's key publishing from a
second outbox is refused as a repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, TopicPartition

from fourfold.acl import OPERATOR
from producers import Publisher
from streams.testing import finding
from tests.conftest import RunningBus

pytestmark = pytest.mark.e2e

BODY = "city-office-1"


def findings(n: int, start: int = 0) -> list[Any]:
    return [finding("yuzhong-hospital", BODY, finding_id=f"seq-{i}") for i in range(start, start + n)]


def refusals(bus: RunningBus, reason: str) -> list[dict[str, Any]]:
    return [q for q in bus.records(bus.container.topics.quarantine) if q["reason"] == reason]


def logged_ids(bus: RunningBus) -> set[str]:
    return {r["event_id"] for r in bus.records(bus.container.topics.log)}


def test_a_deleted_ingest_head_and_a_copied_key_are_refused_and_the_body_told(
    running_bus: RunningBus, tmp_path: Path
) -> None:
    bus = running_bus.start()
    worker = bus.children[0]
    worker.stop()
    bus.children.remove(worker)

    first = findings(3)
    with bus.container.publisher(BODY) as publisher:
        for e in first:
            publisher.publish_event(e)
        publisher.flush()
        sent = [publisher.status(e.event_id) for e in first]
    assert len({s.partition for s in sent}) == 1, "a body's events share one ingest partition"
    ingest = TopicPartition(bus.container.topics.ingest(BODY), sent[0].partition)
    admin = KafkaAdminClient(**bus.container.access(OPERATOR).kafka_python())
    admin.delete_records({ingest: sent[2].offset})  # the first two never reach the router
    admin.close()

    bus.start_worker("worker-again")
    bus.wait_until(lambda: refusals(bus, "sequence_gap"), 90, "the gap to be refused")
    [gap] = refusals(bus, "sequence_gap")
    assert gap["event_id"] == str(first[2].event_id)
    assert "sent sequence 3 after 0: its event(s) 1 to 2 never reached the bus" in gap["detail"]

    later = findings(1, start=3)[0]
    bus.publish(BODY, later)
    bus.wait_until(lambda: str(later.event_id) in logged_ids(bus), 60, "the next event to be routed")
    assert not {str(e.event_id) for e in first} & logged_ids(bus)

    bus.wait_until(
        lambda: any(r["event_type"] == "EventRefused" for r in bus.inbox(BODY)), 60, "the body's notice"
    )
    notices = [r for r in bus.inbox(BODY) if r["event_type"] == "EventRefused"]
    assert len(notices) == 1 and "sequence_gap" in notices[0]["payload"]

    copy = Publisher(
        BODY,
        bus.container.keys.load(BODY),
        bus.settings.bootstrap_servers,
        topics=bus.container.topics,
        outbox=tmp_path / "another-machine.db",
        producer_config=bus.container.access(BODY).security(),
    )
    forged = findings(1, start=10)[0]
    with copy:
        copy.publish_event(forged)
    bus.wait_until(lambda: refusals(bus, "sequence_repeat"), 60, "the copy's event to be refused")
    [repeat] = refusals(bus, "sequence_repeat")
    assert repeat["event_id"] == str(forged.event_id)
    assert str(forged.event_id) not in logged_ids(bus)
