"""A broker that stops in the middle of a run and comes back: the body keeps publishing into its
outbox, and every event arrives (once, after deduplication by event id)."""

from __future__ import annotations

import socket
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.operations import provision, read_topic
from fourfold.settings import Settings
from producers import DeliveryState, Publisher, PublishTimeout, RetryPolicy, SdkMetrics
from schemas import SigningKey
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity

pytestmark = pytest.mark.integration

BODY = "city-supervision-1"
DELIVERY_TIMEOUT_S = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_bus(tmp_path: Path, base_settings: Settings):
    """A bus on a second broker of this test's own (never the shared one), on the already fetched
    jars; its credentials and CA are those of its own home."""
    settings = base_settings.model_copy(
        update={
            "kafka_bootstrap": None,
            "kafka_port": _free_port(),
            "kafka_controller_port": _free_port(),
            "kafka_heap": "512m",
            "kafka_credentials_dir": None,
            "kafka_ca_file": None,
            "home": tmp_path / "home",
            "topic_prefix": f"t{uuid.uuid4().hex[:12]}",
            "partitions": 2,
            "replication_factor": 1,
        }
    )
    container = Container(settings)
    container.local_broker.start(timeout=120)
    try:
        yield container
    finally:
        container.local_broker.stop()


def _publish_findings(publisher: Publisher, start: int, count: int) -> tuple[list[uuid.UUID], float]:
    """Publish ``count`` findings; the ids, and the slowest publish() call in seconds."""
    ids, slowest = [], 0.0
    for i in range(start, start + count):
        began = time.monotonic()
        ids.append(
            publisher.record_finding(
                finding_id=f"finding-{i}",
                unit_id="city-hospital",
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.MEDIUM,
                how_found=HowFound.DAILY_SUPERVISION,
                summary=f"Finding number {i} from daily supervision.",
            )
        )
        slowest = max(slowest, time.monotonic() - began)
    return ids, slowest


def test_broker_stopped_mid_run_every_event_arrives_once(own_bus: Container, tmp_path: Path):
    own_broker, topics, bootstrap = own_bus.local_broker, own_bus.topics, own_bus.settings.bootstrap_servers
    provision(own_bus, [BODY])
    security = own_bus.access(BODY).security()
    registry = CollectorRegistry()
    publisher = Publisher(
        BODY,
        SigningKey.generate(f"{BODY}:1"),
        bootstrap,
        topics=topics,
        outbox=tmp_path / "outbox.db",
        metrics=SdkMetrics.create(registry),
        connect_timeout=3,
        retry=RetryPolicy(initial=0.2, maximum=1.0),
        producer_config={
            **security,
            "delivery_timeout_ms": DELIVERY_TIMEOUT_S * 1000,
            "request_timeout_ms": 3000,
        },
    )
    direct = Publisher(
        BODY, SigningKey.generate(f"{BODY}:1"), bootstrap, topics=topics, producer_config=security
    )
    with publisher:
        before, _ = _publish_findings(publisher, 0, 300)
        publisher.flush(timeout=30)
        direct_ids, _ = _publish_findings(direct, 10_000, 1)
        direct.flush()
        in_flight, _ = _publish_findings(publisher, 300, 200)

        own_broker.stop()
        down_at = time.monotonic()
        [lost_with_the_broker], _ = _publish_findings(direct, 10_001, 1)
        direct_ids.append(lost_with_the_broker)
        with pytest.raises(PublishTimeout) as timed_out:
            direct.flush(timeout=2)
        assert timed_out.value.event_ids == (lost_with_the_broker,)
        assert time.monotonic() - down_at < 10, "a flush timeout surfaces instead of hanging"
        with pytest.raises(PublishTimeout):  # without an outbox, close() says what it could not send
            direct.close(timeout=0)
        while_down, slowest = _publish_findings(publisher, 500, 300)
        assert slowest < 1.0, "publish() must not wait for the broker when there is an outbox"
        assert publisher.outbox_depth > 0
        time.sleep(DELIVERY_TIMEOUT_S + 1)  # long enough for in-flight sends to expire and be retried
        own_broker.start(timeout=120)
        downtime = time.monotonic() - down_at

        publisher.flush(timeout=90)
        assert publisher.outbox_depth == 0
        published = before + in_flight + while_down
        assert {publisher.status(i).state for i in published} == {DeliveryState.SENT}

    records = read_topic(own_bus.access(OPERATOR), topics.ingest(BODY))
    on_topic = Counter(r["event_id"] for r in records if uuid.UUID(r["event_id"]) not in direct_ids)
    duplicates = sum(n - 1 for n in on_topic.values())
    print(
        f"\n{len(published)} published, {len(on_topic)} distinct on the topic, {duplicates} duplicates;"
        f" broker down {downtime:.1f}s"
    )
    assert set(on_topic) == {str(i) for i in published}
    retried = registry.get_sample_value(
        "fourfold_sdk_retried_total", {"body": BODY, "event_type": "SupervisionFindingRecorded"}
    )
    assert retried and retried > 0, "the sender retried what the outage made fail"
