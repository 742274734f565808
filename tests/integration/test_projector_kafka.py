"""The projector and the replay on the real broker: the live read models, a replay from offset 0 and
a replay as of a moment agree digest for digest, on SQLite and PostgreSQL; a restart resumes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from fourfold.acl import OPERATOR, PROJECTOR
from fourfold.operations import provision
from fourfold.registrar import DEMO_REGISTRY, body_ids, load_registry_file
from projections.digest import counts, digest
from projections.projector import Projector, behind
from projections.replay import replay
from projections.testing import (
    as_router_writes,
    history,
    reference_history,
    sample_recipients,
    sealed_intake,
)
from projections.versions import SCHEMA_VERSION, ReadStore

pytestmark = pytest.mark.integration

BODIES = body_ids(load_registry_file(DEMO_REGISTRY))


def _write(container, events, tag: str = "") -> int:
    """Write what the router would have written, straight onto the topics, as the operator."""
    producer = KafkaProducer(**container.access(OPERATOR).kafka_python(), acks="all", linger_ms=5)
    try:
        sent = 0
        for event in events:
            for topic, key, value, headers in as_router_writes(
                container.topics, event, sample_recipients(event, tag)
            ):
                producer.send(topic, key=key, value=value, headers=headers)
                sent += 1
        producer.flush()
        return sent
    finally:
        producer.close()


@pytest.fixture
def topics_ready(container):
    """The log, the bodies' topics, and the projector's principal with what it may read."""
    provision(container, BODIES)
    return container


def _until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _project_until_caught_up(projector: Projector, store: ReadStore, container) -> None:
    def caught_up() -> bool:
        projector.step(timeout_ms=100)
        return projector.caught_up()

    _until(caught_up, "the projector to catch up")
    assert behind(store.engine(), container.access(PROJECTOR), container.topics) == 0


def test_live_replay_and_as_of_agree(topics_ready, database_url, tmp_path):
    container = topics_ready
    projector_access = container.access(PROJECTOR)
    store = ReadStore(database_url)
    projector = Projector(
        store.engine(),
        projector_access,
        sealed_intake(container.topics),
        batch_size=13,
        on_caught_up=lambda: store.switch(SCHEMA_VERSION, "caught up", only_if_newer=True),
    )
    try:
        first = reference_history(DEMO_REGISTRY) + history()
        _write(container, first)
        _project_until_caught_up(projector, store, container)
        assert store.live_version() == SCHEMA_VERSION
        at_first, moment = digest(store.engine()), datetime.now(UTC)
        time.sleep(0.02)
        _write(container, history("b"), "b")
        _project_until_caught_up(projector, store, container)
        live = digest(store.engine())
    finally:
        projector.close()
    assert counts(store.engine())["log_events"] == len(first) + len(history("b"))
    assert live != at_first

    full = [ReadStore(f"sqlite:///{tmp_path / f'replay{i}.db'}") for i in (1, 2)]
    for replica in full:
        result = replay(replica.engine(), projector_access, sealed_intake(container.topics), batch_size=50)
        assert result.events == len(first) + len(history("b"))
        assert digest(replica.engine()) == live
    as_of = ReadStore(f"sqlite:///{tmp_path / 'as_of.db'}")
    replay(as_of.engine(), projector_access, sealed_intake(container.topics), as_of=moment)
    assert digest(as_of.engine()) == at_first
    for s in (store, *full, as_of):
        s.dispose()


def test_a_restarted_projector_resumes_where_the_database_says(topics_ready, tmp_path):
    container = topics_ready
    projector_access = container.access(PROJECTOR)
    records = _write(container, reference_history(DEMO_REGISTRY) + history())
    store = ReadStore(f"sqlite:///{tmp_path / 'live.db'}")
    first = Projector(store.engine(), projector_access, sealed_intake(container.topics), batch_size=5)
    try:
        _until(lambda: first.step(timeout_ms=100) > 0 and sum(counts(store.engine()).values()) > 0, "a batch")
    finally:
        first.close()
    partial = counts(store.engine())
    assert 0 < partial["log_events"] + partial["inbox"] < records

    second = Projector(store.engine(), projector_access, sealed_intake(container.topics), batch_size=500)
    try:
        _project_until_caught_up(second, store, container)
    finally:
        second.close()
    reference = ReadStore(f"sqlite:///{tmp_path / 'reference.db'}")
    replay(reference.engine(), projector_access, sealed_intake(container.topics))
    assert counts(store.engine()) == counts(reference.engine())
    assert digest(store.engine()) == digest(reference.engine())
    store.dispose()
    reference.dispose()
