"""The log is tamper-evident on the real broker: the operator (a Kafka super user, without the bus's
secrets) deletes, alters, inserts or reorders one record; `fourfold verify` and `fourfold replay` name
it and fail. An untouched log verifies, across a restart of the router, and so does the same log
re-produced record for record (the chains do not depend on offsets)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from fourfold.acl import OPERATOR, PROJECTOR
from fourfold.bootstrap import Container
from fourfold.operations import read_partitions
from schemas import Envelope
from schemas.chain import LogRecord, parse_link
from streams.testing import read_records
from tests.e2e.test_cli_read_commands import _fourfold
from tests.e2e.test_router_faults import clues, publish_all

pytestmark = pytest.mark.e2e


def _rewrite(container: Container, partition: int, records: list[LogRecord]) -> None:
    """As the operator: delete everything on one log partition, then produce ``records`` back."""
    access = container.access(OPERATOR)
    tp = TopicPartition(container.topics.log, partition)
    consumer = KafkaConsumer(**access.kafka_python(), group_id=None)
    end = consumer.end_offsets([tp])[tp]
    consumer.close()
    admin = KafkaAdminClient(**access.kafka_python())
    admin.delete_records({tp: end})
    admin.close()
    producer = KafkaProducer(**access.kafka_python())
    for r in records:
        producer.send(tp.topic, r.value, r.key, headers=list(r.headers), partition=partition)
    producer.flush()
    producer.close()


def _same_chain_pair(records: list[LogRecord]) -> tuple[int, int]:
    """Indexes of two clues of one chain, the earlier first."""
    seen: dict[str, int] = {}
    for i, r in enumerate(records):
        if b'"ProblemClueReceived"' not in (r.value or b""):
            continue
        link = parse_link(r.headers)
        assert link is not None
        if link[0] in seen:
            return seen[link[0]], i
        seen[link[0]] = i
    raise AssertionError("no chain has two records on this partition")


def _deleted(records: list[LogRecord]) -> list[LogRecord]:
    i, _ = _same_chain_pair(records)
    return records[:i] + records[i + 1 :]


def _altered(records: list[LogRecord]) -> list[LogRecord]:
    i, _ = _same_chain_pair(records)
    value = (records[i].value or b"").replace(b"A report.", b"A rumour.")
    assert value != records[i].value
    return [*records[:i], dataclasses.replace(records[i], value=value), *records[i + 1 :]]


def _inserted(records: list[LogRecord]) -> list[LogRecord]:
    i, _ = _same_chain_pair(records)
    return [*records, records[i]]


def _reordered(records: list[LogRecord]) -> list[LogRecord]:
    i, j = _same_chain_pair(records)
    swapped = list(records)
    swapped[i], swapped[j] = records[j], records[i]
    return swapped


TAMPERING: dict[str, Callable[[list[LogRecord]], list[LogRecord]]] = {
    "deleted": _deleted,
    "altered": _altered,
    "inserted": _inserted,
    "reordered": _reordered,
}


def test_tampering_with_the_log_is_named_and_an_intact_log_verifies(running_bus):
    bus = running_bus.start(projector=False)
    first, second = clues(12, "chain-a"), clues(12, "chain-b")
    publish_all(bus, first)
    bus.wait_until(lambda: _routed(bus, first), 90, "the first clues")
    assert (intact := _fourfold(bus.container, "verify")).returncode == 0, intact.stdout + intact.stderr
    assert "log verified" in intact.stdout

    bus.children.pop().stop()  # the chain goes on after a restart of the router
    bus.start_worker("worker-restarted")
    publish_all(bus, second)
    bus.wait_until(lambda: _routed(bus, second), 90, "the second clues")
    exported = bus.container.settings.home / "checkpoints.json"
    verified = _fourfold(bus.container, "verify", "--export", str(exported))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "exported" in verified.stdout

    log = read_partitions(bus.container.access(PROJECTOR), bus.container.topics.log)
    partition = max({r.partition for r in log}, key=lambda p: sum(r.partition == p for r in log))
    originals = [r for r in log if r.partition == partition]
    for kind, tamper in TAMPERING.items():
        _rewrite(bus.container, partition, tamper(originals))
        broken = _fourfold(bus.container, "verify", "--against", str(exported))
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert f"the log is not what the router appended: {kind}" in broken.stdout, broken.stdout
        if kind == "deleted":
            replay = _fourfold(bus.container, "replay")
            assert replay.returncode == 1 and "digest" not in replay.stdout, replay.stdout + replay.stderr
            assert "deleted" in replay.stdout
        _rewrite(bus.container, partition, originals)
        restored = _fourfold(bus.container, "verify", "--against", str(exported))
        assert restored.returncode == 0, f"after restoring from {kind}: {restored.stdout}{restored.stderr}"


def _routed(bus: Any, events: list[Envelope[Any]]) -> bool:
    """Each clue and the transfer it derives are on the log."""
    matters = {e.correlation_id for e in events}
    return sum(json.loads(v)["correlation_id"] in matters for v in _log_values(bus)) == 2 * len(events)


def _log_values(bus: Any) -> list[bytes]:
    return [v for _, v in read_records(bus.container.access(OPERATOR), [bus.container.topics.log])]
