"""Router scale-out: 1, 2 and 3 `fourfold worker` processes on one backlog (3 partitions per ingest
topic), each count on a bus of its own with the same events, timed from the first to the last
of the backlog's records on the log. Prints events/s for each and the ratio to one worker, the
baseline, in two ways:

- **started together**: all workers start before any event, so the group's first assignment knows
  nothing of how busy each body's partition will be and deals them out by count;
- **joined a running bus**: one worker routes a warm-up of the same mix first; once it has measured
  the ingest partitions (streams/lag.py), the others join, the group's leader deals the busiest
  partitions out first (streams/assignment.py), and the backlog follows.

The workload's three bodies each publish a third of the events, each on one partition of its
ingest topic, so three workers is the most that can share it. On a 2-core machine the workers share
the cores with the broker, so the ratio shows how the work divides, not how far it would go on more
cores. What does show here is how the work divides: each worker's CPU seconds while the backlog is
routed, and the busiest worker's share of them (on enough cores the speed-up is at most the
inverse of that share).

Usage: bench_scaleout.py [EVENTS]   (default 3000; or FOURFOLD_BENCH_EVENTS)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    PARTITIONS,
    Routed,
    bench_bus,
    group_members,
    publish_backlog,
    route_backlog,
    route_published,
    shared_broker,
    start_workers,
    stop,
    take_in_registry,
    wait,
    wait_for_router,
    workload,
)
from fourfold.bootstrap import Container  # noqa: E402
from schemas import Envelope  # noqa: E402
from streams.app import MEASURE_EVERY  # noqa: E402

EVENTS = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FOURFOLD_BENCH_EVENTS", 3000))
WARM_UP = 600
"""Events the first worker routes before the others join: 200 per body, more than the registry's
57 on the registrar's topic, so the three bodies' partitions are the busiest."""
WORKERS = (1, 2, 3)


def joined(
    container: Container, warm: list[Envelope[Any]], events: list[Envelope[Any]], workers: int
) -> Routed:
    """``workers`` route ``events``, all but the first having joined once it had routed ``warm``."""
    container.trust.init()
    children = start_workers(container, 1)
    try:
        take_in_registry(container, children)
        publish_backlog(container, warm)
        wait_for_router(container, "the first worker to route the warm-up", children)
        time.sleep(MEASURE_EVERY + 1)
        children += start_workers(container, workers - 1, name="bench-joiner")
        wait(lambda: group_members(container) == workers, "the workers to join", children)
        return route_published(container, events, children)
    finally:
        stop(children)


def main() -> None:
    base = shared_broker()
    warm, events = workload(WARM_UP), workload(EVENTS, start=WARM_UP)
    ways: dict[str, Callable[[Container, int], Routed]] = {
        "started together": lambda c, n: route_backlog(c, events, workers=n),
        "joined a running bus": lambda c, n: joined(c, warm, events, n),
    }
    for way, route in ways.items():
        rates: dict[int, float] = {}
        for workers in WORKERS:
            with bench_bus(base) as container:
                run = route(container, workers)
            rates[workers] = EVENTS / run.seconds
            shares = " / ".join(f"{w:.1f}" for w in sorted(run.work, reverse=True))
            logged = f"{run.types['accepted']} accepted + {run.types['derived']} derived"
            print(
                f"{way}, {workers} worker(s): {rates[workers]:8.0f} events/s  ({logged} in"
                f" {run.seconds:.1f} s); CPU s per worker {shares}, the busiest"
                f" {max(run.work) / sum(run.work):.0%} of it",
                flush=True,
            )
        print(f"{way}: {EVENTS} events, {PARTITIONS} partitions per log topic; ratio to one worker:")
        print("  " + "   ".join(f"{n} workers {rates[n] / rates[1]:.2f}x" for n in WORKERS), flush=True)


if __name__ == "__main__":
    main()
