"""Faults on the real broker: a worker killed mid-stream, a second worker joining, the same input
twice, and input that must be quarantined. Outputs are compared as sets of event ids and digests.

The guarantee under test is exactly-once through Kafka transactions: each record's outputs are
written in the transaction that commits its input offset (streams/sink.py), so a consumer that
reads committed records sees every accepted event once, whatever happened to the workers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.processes import Child
from fourfold.settings import Settings
from producers.directory import Directory
from schemas import Envelope, SigningKey, Subject, encode_event, new_event, sign_event
from schemas.access import KafkaAccess
from schemas.catalogue import REFERENCE_TYPES
from schemas.categories import FindingCategory
from schemas.confidential import clear_protected, seal_protected
from schemas.enums import HowFound, Severity, SubjectKind
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded
from schemas.events.reference import SigningKeyRevoked
from streams.app import MEASURE_EVERY
from streams.clock import clock_tick
from streams.partitioning import partition_for
from streams.testing import Numbering, event, read_records
from tests.conftest import RunningBus
from tests.e2e import crashing_worker
from tests.e2e.test_cli_read_commands import _fourfold

pytestmark = pytest.mark.e2e

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NAMESPACE = uuid.UUID("5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """No wall clock (ticks are published by the test), a short session so a dead worker's
    partitions move on within seconds, and batches of 100, so that a backlog is many batches and a
    kill lands between two of them (with 500, a 1,200-event backlog was three batches, and the
    router once finished it before the test could kill it)."""
    return bus_settings.model_copy(
        update={
            "clock_interval": 0,
            "router_session_timeout": 6.0,
            "router_commit_interval": 0.3,
            "router_batch_size": 100,
            "metrics_port": _free_port(),
        }
    )


# -- reading what the router wrote ---------------------------------------------------------------


def _operator(bus: Any) -> KafkaAccess:
    """The tests read what the router wrote, and its group's offsets, as the operator."""
    return bus.container.access(OPERATOR)


@functools.cache
def _topology(access: KafkaAccess, prefix: str) -> tuple[tuple[str, ...], tuple[TopicPartition, ...]]:
    """A started bus's inbox topics and ingest partitions; provisioned at start, fixed afterwards
    (asked once: each look at the shared broker's metadata costs a fraction of a second)."""
    admin = KafkaAdminClient(**access.kafka_python())
    consumer = KafkaConsumer(**access.kafka_python(), group_id=None)
    try:
        names = admin.list_topics()
        inboxes = tuple(sorted(t for t in names if t.startswith(f"{prefix}.inbox.")))
        ingest = [t for t in names if t.startswith(f"{prefix}.ingest.")]
        return inboxes, tuple(
            TopicPartition(t, p) for t in ingest for p in consumer.partitions_for_topic(t) or ()
        )
    finally:
        consumer.close()
        admin.close()


def inbox_topics(bus: Any) -> list[str]:
    return list(_topology(_operator(bus), bus.container.topics.prefix)[0])


def log_ids(bus: Any, *, committed: bool = True) -> list[str]:
    return [
        json.loads(v)["event_id"]
        for _, v in read_records(_operator(bus), [bus.container.topics.log], committed=committed)
    ]


def deliveries(bus: Any) -> list[tuple[str, str]]:
    """(recipient, event id) of every committed inbox record."""
    records = read_records(_operator(bus), inbox_topics(bus))
    return [(d["recipient"], d["event"]["event_id"]) for d in (json.loads(v) for _, v in records)]


def digests(bus: Any) -> dict[str, set[str]]:
    """Digests of the committed records on the log (but reference data), the inboxes and the
    quarantine (its reason and refused bytes: where and when it was read differs per bus)."""
    topics = bus.container.topics
    operator = _operator(bus)
    log = [
        raw
        for _, raw in read_records(operator, [topics.log])
        if json.loads(raw)["event_type"] not in REFERENCE_TYPES
    ]
    inboxes = [raw for _, raw in read_records(operator, inbox_topics(bus))]
    refused = [json.loads(raw) for _, raw in read_records(operator, [topics.quarantine])]
    quarantine = [json.dumps([q["reason"], q["raw"]]).encode() for q in refused]
    return {
        name: {hashlib.sha256(raw).hexdigest() for raw in records}
        for name, records in (("log", log), ("inboxes", inboxes), ("quarantine", quarantine))
    }


def router_done(bus: Any) -> bool:
    """Whether the router's committed offsets have reached the end of every ingest topic."""
    operator = _operator(bus)
    _, tps = _topology(operator, bus.container.topics.prefix)
    committed = _committed(bus)
    consumer = KafkaConsumer(**operator.kafka_python(), group_id=None)
    try:
        end = consumer.end_offsets(list(tps))
    finally:
        consumer.close()
    return all(committed.get(tp, -1) >= end[tp] for tp in tps if end[tp] > 0)


def routed_inputs(bus: Any) -> int:
    """How many ingest records the router has committed: one request, where reading the log to
    count its records takes longer than the router takes to route a thousand events."""
    return sum(_committed(bus).values())


def _committed(bus: Any) -> dict[TopicPartition, int]:
    """The router group's committed offset of each ingest partition it has committed."""
    group = f"{bus.container.topics.prefix}-router"
    admin = KafkaAdminClient(**_operator(bus).kafka_python())
    try:
        return {
            tp: meta.offset for tp, meta in admin.list_group_offsets({group: None}).get(group, {}).items()
        }
    finally:
        admin.close()


# -- input ---------------------------------------------------------------------------------------


def clues(n: int, tag: str, source: str = "city-letters", cadre: str = "cadre-sun") -> list[Envelope[Any]]:
    """Clues about ``cadre`` at a district hospital received by ``source``. A district-managed
    cadre's from the city's letters office, or a municipal-managed cadre's (``cadre-qian``) from the
    district's, are each logged, transferred and delivered to seven inboxes (the clue to three
    bodies, its transfer to four)."""
    return [
        new_event(
            ProblemClueReceived(
                clue_id=f"{tag}-{i}",
                unit_id="yuzhong-hospital",
                cadre_id=cadre,
                summary="A report.",
                informant=Informant(name="B. Citizen"),
            ),
            source_body=source,
            occurred_at=AT + timedelta(seconds=i),
            subject=Subject(kind=SubjectKind.CADRE, id=cadre),
            correlation_id=f"{tag}-{i}",
            event_id=uuid.uuid5(NAMESPACE, f"{tag}-{i}"),
        )
        for i in range(n)
    ]


def publish_all(bus: Any, events: list[Envelope[Any]]) -> None:
    with bus.container.publisher(events[0].source_body) as publisher:
        for e in events:
            publisher.publish_event(e)


def assert_exactly_once(bus: Any, events: list[Envelope[Any]]) -> None:
    """Every clue and its transfer on the log once; seven deliveries each; nothing twice; the log's
    hash chains intact."""
    records = [json.loads(v) for _, v in read_records(_operator(bus), [bus.container.topics.log])]
    notices = {e["event_id"] for e in records if e["event_type"] == "EventRefused"}  # published again
    logged = [e for e in records if e["event_id"] not in notices]
    ids = [e["event_id"] for e in logged]
    duplicated = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicated == [], f"{len(duplicated)} events logged more than once"
    ours = {e.correlation_id for e in events}
    assert sum(e["correlation_id"] in ours for e in logged) == 2 * len(events)  # each clue and its transfer
    assert {str(e.event_id) for e in events} <= set(ids), "an accepted event is missing from the log"
    delivered = [d for d in deliveries(bus) if d[1] not in notices]
    assert [d for d, n in Counter(delivered).items() if n > 1] == [], "a delivery was made twice"
    assert len(delivered) == 7 * len(events)
    verified = _fourfold(bus.container, "verify")  # each chain links on from what was committed
    assert verified.returncode == 0, verified.stdout + verified.stderr


# -- the tests -----------------------------------------------------------------------------------


def test_a_worker_killed_mid_stream_loses_nothing_and_duplicates_nothing(running_bus):
    bus = running_bus.start(projector=False)
    events = clues(3000, "kill")  # seconds of routing, longer than a look at the progress takes
    publish_all(bus, events)
    worker = bus.children[0]
    bus.wait_until(lambda: routed_inputs(bus) >= 75, 60, "the worker to be mid-stream")
    worker.kill()
    bus.children.remove(worker)  # a dead child would make every wait give up
    before = len(log_ids(bus))
    assert before < 2 * len(events), "the worker finished before it could be killed"

    bus.start_worker("worker-restarted")
    bus.wait_until(
        lambda: len(log_ids(bus)) >= 2 * len(events) and router_done(bus), 90, "the restarted worker"
    )
    assert_exactly_once(bus, events)
    aborted = len(log_ids(bus, committed=False)) - len(log_ids(bus))
    print(f"killed after {before} committed log records; {aborted} records of the killed worker were aborted")


def test_a_worker_killed_between_a_batchs_sends_and_its_commit_has_the_batch_aborted(running_bus):
    bus = running_bus.start(projector=False)
    bus.children.pop().stop()
    events = clues(120, "uncommitted")
    publish_all(bus, events)
    crashing = subprocess.run(
        [sys.executable, "-m", "tests.e2e.crashing_worker"],
        env={**os.environ, **bus.settings.to_env()},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        timeout=120,
    )
    assert crashing.returncode == crashing_worker.DIED, crashing.stderr.decode()[-2000:]
    assert len(log_ids(bus, committed=False)) > len(log_ids(bus)), "the dead batch reached the broker"

    bus.start_worker("worker-after-crash")
    bus.wait_until(lambda: len(log_ids(bus)) >= 2 * len(events) and router_done(bus), 90, "the next worker")
    assert_exactly_once(bus, events)


def test_a_second_worker_shares_the_load_and_the_rebalance_loses_nothing(running_bus):
    """Two letters offices publish; a second worker joins while they do (a rebalance mid-stream).
    Once the group's deal gives each worker one office, as it does when the volumes show (at once,
    or at the next measure), each routes that office's next clues. With one busy office the deal
    keeps it with the worker that routed it, and whether the newcomer routed any clue depended on
    whether the leader had measured the volumes before it joined."""
    bus = running_bus.start(projector=False)
    ports = [bus.settings.metrics_port, _free_port()]
    city, district = clues(450, "scale"), clues(450, "scale-d", source="yuzhong-letters", cadre="cadre-qian")
    busy = [busy_partition(bus, body) for body in ("city-letters", "yuzhong-letters")]
    sent = 0
    _worker(bus, "worker-b", ports[1])
    while _members(bus) < 2 and sent < 300:  # keep the stream flowing while b joins: a rebalance mid-stream
        publish_all(bus, city[sent : sent + 15])
        publish_all(bus, district[sent : sent + 15])
        sent += 15
        time.sleep(0.2)
    bus.wait_until(lambda: _members(bus) == 2, 60, "worker b to join")
    bus.wait_until(lambda: router_done(bus), 120, "the clues so far")
    bus.wait_until(lambda: dealt_apart(bus, busy), 3 * MEASURE_EVERY + 30, "one office for each worker")
    series = 'fourfold_router_events_in_total{event_type="ProblemClueReceived"}'
    before = [_metric(port, series) for port in ports]
    publish_all(bus, city[sent : sent + 150])
    publish_all(bus, district[sent : sent + 150])
    sent += 150
    bus.wait_until(lambda: router_done(bus), 120, "both workers")
    assert_exactly_once(bus, city[:sent] + district[:sent])
    routed = [_metric(port, series) - b for port, b in zip(ports, before, strict=True)]
    assert routed == [150, 150], f"each worker routed one office's last clues: {routed}"
    assert all(child.alive for child in bus.children)


def test_the_same_input_twice_gives_the_same_output(running_bus, bus_settings, prefix, tmp_path):
    bus = running_bus
    # a second bus with the same keys (same home) on topics of its own: an independent replay
    twin_settings = bus_settings.model_copy(update={"topic_prefix": f"{prefix}b", "metrics_port": None})
    twin = RunningBus(Container(twin_settings), tmp_path / "twin")
    try:
        for b in (bus, twin):  # the registry only; one after the other, as they share their keys
            b.start(worker=False, projector=False)
        for b in (bus, twin):
            b.start_worker()
        bus.wait_until(
            lambda: router_done(bus) and router_done(twin), 90, "both buses to take in the registry"
        )
        inputs, tick = _mixed_input(bus)
        for b in (bus, twin):
            for body_id, raw in inputs:
                b.send_raw(body_id, raw)
        bus.wait_until(lambda: router_done(bus) and router_done(twin), 90, "both buses to route the input")
        for b in (bus, twin):  # time passes only once the findings are on the log
            b.send_raw(*tick)
        bus.wait_until(lambda: router_done(bus) and router_done(twin), 60, "both buses to route the tick")
        first = digests(bus)
        assert len(first["log"]) > len(inputs) and first["inboxes"] and len(first["quarantine"]) == 1

        for body_id, raw in [*inputs, tick]:  # the same bytes again
            bus.send_raw(body_id, raw)
        bus.wait_until(lambda: router_done(bus), 60, "the repeated input")
        assert digests(bus) == first
        assert len(log_ids(bus)) == len(set(log_ids(bus)))
        assert digests(twin) == first  # an independent bus fed the same input: the same records
        types = [
            json.loads(v)["event_type"] for _, v in read_records(_operator(bus), [bus.container.topics.log])
        ]
        assert {"ClueTransferred", "SystemicIssueDetected"} <= set(types)
    finally:
        twin.stop()


def test_bad_input_is_quarantined_with_its_reason_and_never_stalls_the_worker(running_bus):
    bus = running_bus.start(projector=False)
    port = bus.settings.metrics_port
    keys = bus.container.keys
    good = event(_finding("yuzhong-hospital", "f-ok"), "yuzhong-stationed-health")
    outside = event(_finding("jiangbei-school", "f-out"), "yuzhong-stationed-health")
    revoked_body = event(_finding("city-bank", "f-revoked"), "city-office-2")

    bus.send_raw("city-letters", b"\xff not json at all")
    bus.send_raw("city-letters", b'{"event_type": "ParadeHeld", "schema_version": 1}')
    bus.send_raw("yuzhong-stationed-health", _signed(good, SigningKey.generate("yuzhong-stationed-health:1")))
    bus.publish("yuzhong-stationed-health", outside)
    with bus.container.publisher(bus.settings.registrar_body) as registrar:
        registrar.publish(
            SigningKeyRevoked(
                body_id="city-office-2", key_id=keys.key_id("city-office-2"), reason="Laptop lost."
            ),
            subject=Subject(kind=SubjectKind.BODY, id="city-office-2"),
            occurred_at=datetime.now(UTC),  # after the key was registered: the later fact wins
        )
    bus.wait_until(lambda: _revoked(bus), 60, "the revocation to reach the reference topic")
    bus.publish("city-office-2", revoked_body)
    bus.publish("yuzhong-stationed-health", good)

    bus.wait_until(
        lambda: len(bus.records(bus.container.topics.quarantine)) >= 5 and router_done(bus), 60, "refusals"
    )
    refused = {(q["reason"], q["event_id"]) for q in bus.records(bus.container.topics.quarantine)}
    assert refused == {
        ("invalid", None),
        ("unknown_type", None),
        ("bad_signature", str(good.event_id)),
        ("unauthorised", str(outside.event_id)),
        ("revoked_key", str(revoked_body.event_id)),
    }
    assert str(good.event_id) in log_ids(bus)  # the worker carried on

    metrics = _scrape(port)
    assert _value(metrics, 'fourfold_router_quarantined_total{event_type="unknown",reason="invalid"}') == 1
    assert (
        _value(metrics, 'fourfold_router_quarantined_total{event_type="unknown",reason="unknown_type"}') == 1
    )
    assert (
        _value(
            metrics,
            'fourfold_router_quarantined_total{event_type="SupervisionFindingRecorded",reason="revoked_key"}',
        )
        == 1
    )
    assert (
        _value(
            metrics, 'fourfold_router_events_out_total{event_type="SupervisionFindingRecorded",topic="inbox"}'
        )
        >= 1
    )
    assert "fourfold_router_latency_seconds_count" in metrics and "fourfold_router_consumer_lag" in metrics
    taken_in = _total(metrics, "fourfold_router_events_in_total")
    assert taken_in >= 7 and _value(metrics, "fourfold_router_batch_records_sum") == taken_in
    batches = _value(metrics, "fourfold_router_batch_records_count")
    for phase in ("decide", "write", "commit"):
        assert _value(metrics, f'fourfold_router_batch_seconds_count{{phase="{phase}"}}') == batches
    assert "ParadeHeld" not in metrics and "f-ok" not in metrics and "yuzhong-hospital" not in metrics


# -- helpers -------------------------------------------------------------------------------------


def _finding(unit_id: str, finding_id: str) -> SupervisionFindingRecorded:
    return SupervisionFindingRecorded(
        finding_id=finding_id,
        unit_id=unit_id,
        category=FindingCategory.CORRUPTION,
        severity=Severity.LOW,
        how_found=HowFound.DAILY_SUPERVISION,
        summary="Kickbacks.",
    )


def _signed(e: Envelope[Any], key: SigningKey) -> bytes:
    return encode_event(sign_event(e, key))


def _revoked(bus: Any) -> bool:
    return any(r["event_type"] == "SigningKeyRevoked" for r in bus.records(bus.container.topics.reference))


def _mixed_input(bus: Any) -> tuple[list[tuple[str, bytes]], tuple[str, bytes]]:
    """Signed bytes of clues (informants sealed, as the SDK would, with the key directory the two
    buses' registry loads wrote into their shared home), findings and garbage, and then of a tick:
    what the two buses are fed."""
    keys = bus.container.keys
    directory = Directory.load(bus.settings.key_directory_file)
    events = clues(5, "twice") + [
        event(_finding(unit, f"f-{n}"), source, at=AT + timedelta(days=n))
        for n, (unit, source) in enumerate(
            [
                ("city-education", "stationed-education"),
                ("yuzhong-school", "yuzhong-commission"),
                ("jiangbei-school", "jiangbei-commission"),
            ]
        )
    ]
    events = [
        e.model_copy(update={"event_id": uuid.uuid5(NAMESPACE, f"twice-{i}")}) for i, e in enumerate(events)
    ]
    sealed = [seal_protected(e, directory.recipients(e)) if clear_protected(e) else e for e in events]
    numbering = Numbering()  # the sources' first events on each bus
    numbered = [numbering.number(e) for e in sealed]
    signed = [(e.source_body, encode_event(sign_event(e, keys.load(e.source_body)))) for e in numbered]
    tick = sign_event(clock_tick(AT + timedelta(days=10), "bus"), keys.load("bus"))
    return [*signed, ("city-letters", b"not an event")], ("bus", encode_event(tick))


def owners(bus: Any) -> dict[TopicPartition, str]:
    """Which member of the router's group holds each partition."""
    group = f"{bus.container.topics.prefix}-router"
    admin = KafkaAdminClient(**_operator(bus).kafka_python())
    try:
        members = admin.describe_groups([group])[group]["members"]
    finally:
        admin.close()
    return {
        TopicPartition(held["topic"], p): member["member_id"]
        for member in members
        for held in member["member_assignment"]["assigned_partitions"]
        for p in held["partitions"]
    }


def busy_partition(bus: Any, body: str) -> TopicPartition:
    """The partition of ``body``'s ingest topic that its publisher writes to."""
    topics = bus.container.topics
    topic = topics.ingest(body)
    return TopicPartition(
        topic, partition_for(body.encode(), topics.partitions_of(topic, bus.settings.partitions))
    )


def dealt_apart(bus: Any, busy: list[TopicPartition]) -> bool:
    """Whether two workers are in the group and hold the two partitions one each."""
    if _members(bus) != 2:
        return False
    held = owners(bus)
    return held.get(busy[0]) != held.get(busy[1])


def _worker(bus: Any, name: str, port: int) -> Child:
    env = {**bus.settings.to_env(), "FOURFOLD_METRICS_PORT": str(port)}
    child = Child(name, ["worker"], bus.log_dir, env=env)
    bus.children.append(child)
    return child


def _members(bus: Any) -> int:
    """How many workers are in the router's consumer group, once it is stable."""
    group = f"{bus.container.topics.prefix}-router"
    admin = KafkaAdminClient(**_operator(bus).kafka_python())
    try:
        description = admin.describe_groups([group])[group]
        return len(description["members"]) if description["group_state"] == "Stable" else 0
    finally:
        admin.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


def _value(metrics: str, series: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _total(metrics: str, name: str) -> float:
    """The sum of ``name`` over all its labels."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(name + "{"))


def _metric(port: int, series: str) -> float:
    try:
        text = _scrape(port)
    except OSError:
        return 0.0
    if "{" in series:
        return _value(text, series)
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series + "{"))
