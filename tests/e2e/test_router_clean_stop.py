"""A worker stopped cleanly saves its state, whenever its last periodic save was, so the next start
reads only the log's tail; what it then decides is what a worker that folded the whole log would."""

from __future__ import annotations

import pytest

from fourfold.settings import Settings
from tests.e2e.test_router_faults import assert_exactly_once, clues, log_ids, publish_all, router_done

pytestmark = pytest.mark.e2e


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    return bus_settings.model_copy(update={"clock_interval": 0, "router_snapshot_interval": 3600})


def test_a_cleanly_stopped_worker_saves_its_state(running_bus):
    bus = running_bus.start(projector=False)
    first = bus.children[-1]
    before = clues(20, "stopping")
    publish_all(bus, before)
    bus.wait_until(lambda: len(log_ids(bus)) and router_done(bus), 90, "the first clues")
    assert "state saved" not in first.log_path.read_text()  # an hour between periodic saves: none yet
    assert bus.children.pop().stop() == 0
    assert "state saved" in first.log_path.read_text(), "the stopped worker saved no state"

    worker = bus.start_worker("worker-restarted")
    after = clues(20, "after-stop")
    publish_all(bus, before + after)  # the first twenty again: duplicates, to be recognised
    bus.wait_until(lambda: router_done(bus), 90, "the restarted worker")
    assert_exactly_once(bus, before + after)
    assert "state restored" in worker.log_path.read_text()
