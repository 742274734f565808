"""A body registered while the router worker runs is routed within seconds, with no restart."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fourfold.operations import publish_registry
from fourfold.settings import Settings
from streams.testing import finding
from tests.conftest import RunningBus

pytestmark = pytest.mark.e2e

NEW_BODY = "yuzhong-stationed-education"
REGISTRY = {
    "bodies": [
        {
            "body_id": NEW_BODY,
            "name": "Yuzhong Stationed Discipline Inspection Group at the Education Commission",
            "kind": "stationed_agency",
            "region_id": "yuzhong",
            "parent_body_id": "yuzhong-commission",
        }
    ],
    "jurisdictions": [{"body_id": NEW_BODY, "role": "stationed", "unit_ids": ["yuzhong-school"]}],
}
ROUTED_WITHIN = 45.0
"""Seconds from registration to the new body's first event on the log (it took 5-9 s; before the
agent's own copy of its topic was renamed, the event was not routed at all until a restart)."""


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """No wall clock: the only records on the bus are the registry's and the test's."""
    return bus_settings.model_copy(update={"clock_interval": 0})


def test_a_body_registered_while_the_worker_runs_is_routed_without_a_restart(
    running_bus: RunningBus, tmp_path: Path
) -> None:
    bus = running_bus.start(projector=False)
    [worker] = bus.children
    topics = bus.container.topics
    path = tmp_path / "new-body.json"
    path.write_text(json.dumps(REGISTRY), encoding="utf-8")

    registered = time.monotonic()
    publish_registry(bus.container, path)
    bus.wait_until(lambda: _key_registered(bus), ROUTED_WITHIN, "the router to take in the new body")
    first = finding("yuzhong-school", NEW_BODY, finding_id="f-new-body", at=datetime.now(UTC))
    bus.publish(NEW_BODY, first)
    left = ROUTED_WITHIN - (time.monotonic() - registered)
    bus.wait_until(
        lambda: str(first.event_id) in {e["event_id"] for e in bus.records(topics.log)},
        max(left, 1.0),
        "the new body's first event to be routed",
    )
    print(f"routed {time.monotonic() - registered:.1f}s after the body was registered")

    assert bus.children == [worker] and worker.alive, "the worker was not restarted"
    assert not bus.records(topics.quarantine), "nothing was refused"
    delivered = [r["event"]["event_id"] for r in bus.records(topics.inbox("yuzhong-commission"))]
    assert delivered.count(str(first.event_id)) == 1, "the district commission received it once"


def _key_registered(bus: RunningBus) -> bool:
    return any(
        r["event_type"] == "SigningKeyRegistered" and r["payload"]["body_id"] == NEW_BODY
        for r in bus.records(bus.container.topics.reference)
    )
