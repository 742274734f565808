"""Router start-up against the length of the log: from spawning a `fourfold worker` to its first
routed event, and its peak memory (VmHWM), with a small log (the baseline) and a large one.

For each size a bus of its own: one worker routes SIZE events (the router's workload: clues that
derive transfers, findings with three to four recipients), then stops; a fresh worker is spawned
while one more event waits on an ingest topic, and is timed until that event's record on the
log (its timestamp, against the wall clock at spawn). Prints both, the peak memory of the worker
that routed the log, the cost per log record, and the ratios large/small (issue 14's target:
start-up within 1.5x, memory not growing with the log).

Two paces, each with both sizes:

- **dense**: an event a second, no bus clock. Every finding falls inside the systemic window,
  which the tick's rule must see whole, so the findings held grow with the log by design.
- **spread**: an event every 15 minutes (96 a day), the last an hour before the run, with the bus
  clock ticking every few seconds as it does on a running bus (every minute by default). A log
  longer than the window (60 days of findings are kept: twice the systemic window) holds the same
  findings in memory however long it is.

Usage: bench_startup.py [SMALL LARGE]   (default 2000 20000; or FOURFOLD_BENCH_STARTUP_SIZES=10000,100000)
Filling the log runs through the router, so the large size takes as long as the router needs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    AT,
    DEADLINE,
    bench_bus,
    partitions,
    peak_rss_mb,
    publish_backlog,
    retry,
    shared_broker,
    start_workers,
    stop,
    take_in_registry,
    wait_for_router,
    workload,
)
from fourfold.acl import OPERATOR  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.settings import Settings  # noqa: E402
from schemas import Envelope  # noqa: E402


def sizes() -> tuple[int, int]:
    given = sys.argv[1:3] or os.environ.get("FOURFOLD_BENCH_STARTUP_SIZES", "2000,20000").split(",")
    small, large = (int(n) for n in given)
    return small, large


@dataclass(frozen=True)
class StartUp:
    log_records: int
    seconds: float
    peak_mb: float


@dataclass(frozen=True)
class Pace:
    """How the benchmark's events are spaced in event time, and how often the bus clock ticks."""

    name: str
    every: timedelta
    clock_interval: float

    def events(self, n: int) -> list[Envelope[Any]]:
        """``n`` events ``every`` apart: without the clock from the workload's own date, with it
        ending an hour before now, so that the ticks' wall-clock time is after them."""
        at = datetime.now(UTC) - timedelta(hours=1) - n * self.every if self.clock_interval else AT
        return workload(n, at=at, every=self.every)


DENSE = Pace("dense (an event a second, no clock)", timedelta(seconds=1), 0)
SPREAD = Pace("spread (an event every 15 minutes, the clock ticking)", timedelta(minutes=15), 3.0)


def fill(container: Container, events: list[Envelope[Any]], pace: Pace) -> float:
    """``events`` routed onto the log by a worker that then stops; its peak memory (MB). With the
    clock on, it stops once a tick after the last event has been routed too."""
    children = start_workers(container, 1, "bench-filler")
    try:
        take_in_registry(container, children)
        publish_backlog(container, events)
        what = f"the router to route {len(events)} events"
        wait_for_router(container, what, children, DEADLINE + len(events) / 20)
        if pace.clock_interval:
            time.sleep(pace.clock_interval + 1)
            wait_for_router(container, "the router to route a tick after them", children)
        return peak_rss_mb(children[0].process.pid)
    finally:
        stop(children)


def start_up(container: Container, probe: list[Envelope[Any]]) -> StartUp:
    """Spawn a worker with one more event waiting; seconds until that event is on the log."""
    consumer = KafkaConsumer(
        **container.access(OPERATOR).kafka_python(), group_id=None, isolation_level="read_committed"
    )
    try:
        tps = partitions(consumer, container.topics.log)
        consumer.assign(tps)
        end = retry(lambda: consumer.end_offsets(tps), "end offsets of the log")
        for tp in tps:
            consumer.seek(tp, end[tp])
        spawned = time.time()
        children = start_workers(container, 1, "bench-starting")
        try:
            publish_backlog(container, probe)
            at = _routed_at(consumer, str(probe[0].event_id), children)
            peak = peak_rss_mb(children[0].process.pid)
        finally:
            stop(children)
        return StartUp(sum(end.values()), at - spawned, peak)
    finally:
        consumer.close()


def _routed_at(consumer: KafkaConsumer, event_id: str, children: list) -> float:
    """The timestamp (s) of ``event_id``'s record on the log, waiting for it."""
    deadline = time.monotonic() + DEADLINE * 3
    while time.monotonic() < deadline:
        if not children[0].alive:
            break
        for batch in consumer.poll(timeout_ms=200).values():
            for record in batch:
                if json.loads(record.value)["event_id"] == event_id:
                    return float(record.timestamp) / 1000
    raise SystemExit(f"the started worker did not route the probe; log: {children[0].log_path}")


def measure(base: Settings, n: int, pace: Pace) -> StartUp:
    events = pace.events(n + 1)
    with bench_bus(base, clock_interval=pace.clock_interval) as container:
        began = time.monotonic()
        routing_peak = fill(container, events[:n], pace)
        filled = time.monotonic() - began
        result = start_up(container, events[n:])
    print(
        f"  {n:>7,} events routed ({result.log_records:,} records on the log, filled in {filled:.0f} s):"
        f" start-up {result.seconds:6.2f} s, peak RSS {result.peak_mb:6.0f} MB"
        f" (the worker that routed them: {routing_peak:.0f} MB)",
        flush=True,
    )
    return result


def main() -> None:
    small, large = sizes()
    base = shared_broker()
    for pace in (DENSE, SPREAD):
        print(f"worker start-up to its first routed event, events {pace.name}:")
        first, second = measure(base, small, pace), measure(base, large, pace)
        more = max(1, second.log_records - first.log_records)
        print(
            f"  per extra log record: {(second.seconds - first.seconds) / more * 1e6:.0f} µs of start-up,"
            f" {(second.peak_mb - first.peak_mb) / more * 1024:.2f} KB of memory"
        )
        print(
            f"  ratio {large:,}/{small:,}: start-up {second.seconds / first.seconds:.2f}x (target at most"
            f" 1.5), peak RSS {second.peak_mb / first.peak_mb:.2f}x (target: not growing)",
            flush=True,
        )


if __name__ == "__main__":
    main()
