"""How the router's group divides the bodies on the real broker (streams/assignment.py).

A body's publisher keys its events with its id, so each ingest topic carries its body's events on
one partition (an ingest topic now has only one). faust's own assignor gave partition *i* of every
ingest topic to one worker: two bodies whose events share a partition number were routed by one
worker however many joined.
"""

from __future__ import annotations

import re
import socket
import time
from collections import Counter

import pytest

from fourfold.settings import Settings
from streams.app import MEASURE_EVERY
from tests.e2e.test_cli_read_commands import _fourfold
from tests.e2e.test_router_faults import (
    _free_port,
    _members,
    _metric,
    _worker,
    busy_partition,
    clues,
    dealt_apart,
    log_ids,
    owners,
    publish_all,
    router_done,
)

pytestmark = pytest.mark.e2e

ALIKE = ("city-letters", "yuzhong-letters")
"""Two letters offices whose events land on the same partition number of their ingest topics:
partition 0, the only one, since an ingest topic has one (they hash alike among three, too)."""


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """Three partitions per topic, as the bus has by default (the suite's buses have two), and no
    wall clock."""
    return bus_settings.model_copy(
        update={"partitions": 3, "clock_interval": 0, "metrics_port": _free_port()}
    )


def test_bodies_whose_ids_hash_alike_are_routed_by_two_workers(running_bus):
    """The first worker, the group's leader, measures how busy each ingest partition is; when a
    second joins, the two busy partitions go one to each, and each routes its body's next clues."""
    bus = running_bus.start(projector=False)
    busy = [busy_partition(bus, body) for body in ALIKE]
    assert busy[0].partition == busy[1].partition, "the two bodies' ids hash alike"
    city, district = clues(100, "alike-city"), clues(100, "alike-district", source=ALIKE[1])
    publish_all(bus, city[:80])  # more than the registrar's 57: the two busiest partitions
    publish_all(bus, district[:80])
    bus.wait_until(lambda: router_done(bus), 60, "the first worker")
    time.sleep(MEASURE_EVERY + 1)  # the first worker has measured the partitions since
    ports = [bus.settings.metrics_port, _free_port()]
    _worker(bus, "worker-b", ports[1])
    bus.wait_until(lambda: _members(bus) == 2, 60, "worker b to join")
    held = owners(bus)
    assert held[busy[0]] != held[busy[1]], "one worker holds both busy partitions"
    time.sleep(MEASURE_EVERY + 1)  # each has measured partitions it does not hold

    publish_all(bus, city[80:])
    publish_all(bus, district[80:])
    bus.wait_until(lambda: router_done(bus), 60, "both workers")
    series = 'fourfold_router_events_in_total{event_type="ProblemClueReceived"}'
    routed = [_metric(port, series) for port in ports]
    assert routed == [180, 20], f"the second worker routed one body's last 20 clues: {routed}"
    logged = Counter(log_ids(bus))
    assert all(logged[str(e.event_id)] == 1 for e in city + district), "each clue logged once"
    assert all(child.alive for child in bus.children)

    shown = _fourfold(bus.container, "router", "status", "--all")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    names = [f"fourfold-router.{socket.gethostname()}.{child.process.pid}" for child in bus.children]
    assert "Stable, 2 workers; 0 events waiting" in shown.stdout
    rows = _status_rows(shown.stdout)
    assert {rows[body][0] for body in ALIKE} == set(names), "each letters office on its own worker"
    assert rows[ALIKE[0]][1:] == (100, 0) and rows[ALIKE[1]][1:] == (100, 0)


def _status_rows(shown: str) -> dict[str, tuple[str, int, int]]:
    """Body -> (worker, events, waiting) from `fourfold router status`'s table of bodies."""
    rows = {}
    for line in shown.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if (
            len(cells) == 4
            and cells[2].replace(",", "").isdigit()
            and not cells[0].startswith("fourfold-router")
        ):
            rows[cells[0]] = (cells[1], int(cells[2].replace(",", "")), int(cells[3].replace(",", "")))
    return rows


def test_a_deal_made_before_the_bodies_published_is_dealt_again_once_their_volumes_show(running_bus):
    """The second worker joins before either letters office has published: the leader, knowing
    only the registrar's records, deals both offices to the worker without them. Once their clues
    are on their partitions the leader's measure shows the deal uneven, and it asks the group for
    a new one, which gives each worker one office. When the leader then stops, the other deals by
    the volumes it measured while it was not the leader."""
    bus = running_bus.start(projector=False)
    busy = [busy_partition(bus, body) for body in ALIKE]
    bus.wait_until(lambda: _members(bus) == 1, 60, "the first worker to join")
    time.sleep(MEASURE_EVERY + 1)  # it has measured the registrar's records since
    ports = [bus.settings.metrics_port, _free_port()]
    worker_b = _worker(bus, "worker-b", ports[1])
    bus.wait_until(lambda: _members(bus) == 2, 60, "worker b to join")
    held = owners(bus)
    assert held[busy[0]] == held[busy[1]], "dealt before they published: both on one worker"

    city, district = clues(220, "uneven-city"), clues(220, "uneven-district", source=ALIKE[1])
    publish_all(bus, city[:200])
    publish_all(bus, district[:200])
    bus.wait_until(lambda: router_done(bus), 60, "the clues to be routed")
    bus.wait_until(lambda: dealt_apart(bus, busy), 3 * MEASURE_EVERY + 30, "a new deal")

    series = 'fourfold_router_events_in_total{event_type="ProblemClueReceived"}'
    before = [_metric(port, series) for port in ports]
    publish_all(bus, city[200:])
    publish_all(bus, district[200:])
    bus.wait_until(lambda: router_done(bus), 60, "both workers")
    routed = [_metric(port, series) - b for port, b in zip(ports, before, strict=True)]
    assert routed == [20, 20], f"each worker routed one office's last 20 clues: {routed}"
    logged = Counter(log_ids(bus))
    assert all(logged[str(e.event_id)] == 1 for e in city + district), "each clue logged once"
    assert all(child.alive for child in bus.children)

    time.sleep(MEASURE_EVERY + 1)  # worker b has measured the partitions since it joined
    bus.children[0].stop()
    bus.wait_until(lambda: _members(bus) == 1, 60, "worker b to hold every partition")
    alone = [line for line in worker_b.log_path.read_text().splitlines() if "spread over 1 workers" in line]
    assert alone and _records_dealt(alone[-1]) >= 440, f"worker b dealt blind: {alone[-1:]}"


def _records_dealt(line: str) -> int:
    """The records a logged deal weighed (streams/assignment._log_spread)."""
    return sum(int(n) for n in re.findall(r"(\d+) records", line))
