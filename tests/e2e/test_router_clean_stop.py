"""A worker stopped cleanly saves its state, whenever its last periodic save was, so the next start
reads only the log's tail; what it then decides is what a worker that folded the whole log would.
A saved state altered on disk stops the worker before it decides anything from it."""

from __future__ import annotations

import pytest
from rocksdict import Options, Rdict

from fourfold.demo import wait_for
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


def test_a_worker_whose_saved_state_was_altered_stops_instead_of_deciding_from_it(running_bus):
    bus = running_bus.start(projector=False)
    first = clues(3, "altered")
    publish_all(bus, first)
    bus.wait_until(lambda: len(log_ids(bus)) and router_done(bus), 90, "the first clues")
    assert bus.children.pop().stop() == 0

    database = Rdict(str(bus.settings.router_data_dir / "state-0"), Options(raw_mode=True))
    key = b"seen\x00" + str(first[0].event_id).encode()
    saved = bytearray(database[key])
    saved[-1] ^= 1  # the digest the republished event will be compared with
    database[key] = bytes(saved)
    database.close()

    worker = bus.start_worker("worker-on-altered-state")
    publish_all(bus, first[:1])
    assert wait_for(lambda: not worker.alive, 60), "the worker went on deciding from an altered state"
    assert "fails its seal" in worker.log_path.read_text()
