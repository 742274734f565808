"""A restarted worker starts from its saved state and reads only the log's tail, and what it then
decides is what a worker that folded the whole log would: repeats are duplicates, custody holds."""

from __future__ import annotations

import json

import pytest

from fourfold.acl import OPERATOR
from fourfold.settings import Settings
from streams.testing import read_records
from tests.e2e.test_router_faults import assert_exactly_once, clues, log_ids, publish_all, router_done

pytestmark = pytest.mark.e2e


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    return bus_settings.model_copy(update={"clock_interval": 0, "router_snapshot_interval": 0.5})


def test_a_restarted_worker_reads_the_tail_from_its_saved_state(running_bus):
    bus = running_bus.start(projector=False)
    before = clues(30, "saved")
    publish_all(bus, before)
    bus.wait_until(lambda: len(log_ids(bus)) and router_done(bus), 90, "the first clues")
    publish_all(bus, clues(1, "nudge"))  # one more batch after the interval: the state is saved
    first = bus.children[-1]
    bus.wait_until(lambda: "state saved" in first.log_path.read_text(), 30, "a saved state")
    bus.children.pop().stop()

    worker = bus.start_worker("worker-restarted")
    after = clues(30, "tail")
    publish_all(bus, before + after)  # the first thirty again: duplicates, to be recognised
    bus.wait_until(lambda: router_done(bus), 90, "the restarted worker")
    assert_exactly_once(bus, before + clues(1, "nudge") + after)
    operator = bus.container.access(OPERATOR)
    logged = [json.loads(v) for _, v in read_records(operator, [bus.container.topics.log])]
    republished = [e["payload"]["reason"] for e in logged if e["event_type"] == "EventRefused"]
    assert republished == ["duplicate"] * len(before)  # under new numbers: not routed, only counted
    assert "state restored" in worker.log_path.read_text()
