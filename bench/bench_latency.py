"""End-to-end latency, SDK publish to inbox row, at 50, 200 and 500 events/s offered, against the
floor of the same run: SDK publish to the record being appended to its ingest topic.

A bus of its own with a `fourfold worker` and a `fourfold project` (SQLite under the bus's home).
The SDK (three bodies' direct publishers, connected once for the whole run as an agency's are)
publishes the router's workload at a steady pace for a few seconds per rate; this process notes
when the broker appended each event to its ingest topic (the floor: the SDK's linger and the
broker; a record is readable once appended on this one-broker cluster) and when each event's first
inbox row appears (looking every 5 ms whether the read models changed), with its own garbage
collector held off meanwhile. Prints p50/p95/p99 of both, of publish to the router's inbox record
(the row's ``delivered_at``) and of that record to its row (the router's commit and the
projector), the backlog when publishing stopped (events published but in no inbox yet) and how
long it took to drain, and the worker's batches (size, time per phase) from its metrics. Issue
14's target: p99 at most 100 ms at 50 events/s and 250 ms at 500 events/s.

Usage: bench_latency.py [SECONDS [RATE ...]]   (per rate, default 10 or FOURFOLD_BENCH_LATENCY_SECONDS;
       rates default 50 200 500)
"""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    PARTITIONS,
    bench_bus,
    cpu_seconds,
    free_port,
    percentile,
    shared_broker,
    start_workers,
    stop,
    take_in_registry,
    wait,
    worker_phases,
    workload,
)
from fourfold.acl import OPERATOR  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.processes import Child  # noqa: E402
from producers import Publisher  # noqa: E402
from projections.db import utc_from_text  # noqa: E402
from projections.inbox import inbox  # noqa: E402
from schemas import Envelope  # noqa: E402

RATES = tuple(int(r) for r in sys.argv[2:]) or (50, 200, 500)
SECONDS = float(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FOURFOLD_BENCH_LATENCY_SECONDS", 10))
DRAIN = 120.0
"""Seconds to wait, after publishing stops, for the last events to reach an inbox."""
TARGET_P99_MS = {50: 100.0, 500: 250.0}


@dataclass
class Watch:
    """When each published event was published, readable on ingest, and first in an inbox."""

    published: dict[str, float] = field(default_factory=dict)
    on_ingest: dict[str, float] = field(default_factory=dict)
    in_inbox: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def note(self, seen: dict[str, float], event_id: str, at: float) -> None:
        with self.lock:
            seen.setdefault(event_id, at)


def follow_ingest(container: Container, watch: Watch, topics: list[str]) -> None:
    """Note when the broker appended each event to its ingest topic: the floor. Ingest topics are
    stamped with the broker's append time (``schemas.Topics.config_for``), and on this one-broker
    cluster a record is readable as soon as it is appended, so the follower reads the stamp and
    need not see each record the moment it lands: its fetches wait up to 200 ms for 64 KiB. Noting
    the time each record was first polled instead took a tenth of a core at 500 events/s for one
    body's topic (docs/benchmarks.md, twenty-first round), on the two cores the bus under test shares."""
    consumer = KafkaConsumer(
        *topics,
        **container.access(OPERATOR).kafka_python(),
        group_id=None,
        auto_offset_reset="latest",
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=200,
    )
    try:
        while not watch.stopping.is_set():
            for batch in consumer.poll(timeout_ms=250).values():
                for record in batch:
                    event_id = orjson.loads(record.value)["event_id"]
                    watch.note(watch.on_ingest, event_id, record.timestamp / 1000)
    finally:
        consumer.close()


def follow_inbox(container: Container, watch: Watch) -> None:
    """Look every 5 ms whether the read models changed, and if so read the inbox rows added since
    the last look. SQLite's ``data_version`` says so without a query: polling by query took a
    tenth of a core from the machine the bus runs on. Both go to the driver directly: through
    SQLAlchemy the look took 17 % of a core at 500 ev/s, on the two cores the bus shares."""
    last, seen_version = 0, None
    newer = f"SELECT rowid, event_id, delivered_at FROM {inbox.name} WHERE rowid > ?"
    with container.engine.connect() as conn:
        cursor = conn.connection.cursor()
        while not watch.stopping.is_set():
            time.sleep(0.005)
            try:
                version = cursor.execute("PRAGMA data_version").fetchone()[0]
                rows = cursor.execute(newer, (last,)).fetchall() if version != seen_version else []
            except sqlite3.OperationalError:  # the projector holds the write lock: look again
                continue
            finally:
                conn.connection.rollback()
            seen_version, now = version, time.time()
            for row_id, event_id, delivered_at in rows:
                last = max(last, row_id)
                watch.note(watch.in_inbox, event_id, now)
                if delivered_at is not None:
                    watch.note(watch.delivered, event_id, utc_from_text(delivered_at).timestamp())


@dataclass(frozen=True)
class Figures:
    rate: int
    offered: int
    e2e_ms: list[float]
    floor_ms: list[float]
    router_ms: list[float]
    projector_ms: list[float]
    """From the router's delivery (its record's timestamp) to the inbox row: its commit and the
    projector."""
    backlog: int
    drain_s: float
    cpu_ms: dict[str, float]
    """CPU milliseconds per offered event, per child process and for this one (publishing until
    drained)."""
    paced: float
    """Events per second the publishing loop reached: below ``rate`` when publishing is slower."""


def offer(
    publishers: dict[str, Publisher], watch: Watch, rate: int, start: int, children: list[Child]
) -> Figures:
    """Publish at ``rate`` events/s for SECONDS; wait until each is in an inbox."""
    events = workload(int(rate * SECONDS), start=start)
    ids = [str(e.event_id) for e in events]
    cpu = _cpu(children)
    with collections_paused():
        began = time.perf_counter()
        due: dict[str, list[tuple[float, Envelope[Any]]]] = defaultdict(list)
        for i, event in enumerate(events):
            due[event.source_body].append((began + i / rate, event))
        agencies = [
            _thread(partial(publish_paced, publishers[body], times, watch)) for body, times in due.items()
        ]
        for agency in agencies:
            agency.join()
        with watch.lock:
            backlog = sum(1 for i in ids if i not in watch.in_inbox)
        paced = len(events) / (time.perf_counter() - began)
        ended = time.monotonic()
        for publisher in publishers.values():
            publisher.flush()
        wait(lambda: all(i in watch.in_inbox for i in ids), f"{len(ids)} events in an inbox", children, DRAIN)
        drained = time.monotonic() - ended
        wait(lambda: all(i in watch.on_ingest for i in ids), f"{len(ids)} events on ingest", children, DRAIN)
    used = {name: (after - cpu[name]) * 1000 / len(ids) for name, after in _cpu(children).items()}
    with watch.lock:
        return Figures(
            rate,
            len(ids),
            _ms(watch.published, watch.in_inbox, ids),
            _ms(watch.published, watch.on_ingest, ids),
            _ms(watch.published, watch.delivered, ids),
            _ms(watch.delivered, watch.in_inbox, ids),
            backlog,
            drained if backlog else 0.0,
            used,
            paced,
        )


def publish_paced(publisher: Publisher, due: list[tuple[float, Envelope[Any]]], watch: Watch) -> None:
    """One body's events, each published when it is due, as its agency would: each body publishes
    on a thread of its own and keeps its count in a file of its own. From one thread, the SDK's
    numbering (a committed write per event) held the three bodies to 270-320 events/s together."""
    for at, event in due:
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        watch.note(watch.published, str(event.event_id), time.time())
        publisher.publish_event(event)


@contextmanager
def collections_paused() -> Iterator[None]:
    """This process's cyclic garbage collector held off while it measures, as ``timeit`` does. A
    full collection here (the times noted for every event) took 100–260 ms at 500 ev/s, with the
    publishing and the inbox poller stopped for it: the benchmark's pause, counted as the bus's."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _cpu(children: list[Child]) -> dict[str, float]:
    """CPU seconds so far of each child, and of this process: the agencies' SDK and the watchers."""
    return {child.name: cpu_seconds(child.process.pid) for child in children} | {
        "agencies and watchers (this process)": time.process_time()
    }


def _ms(start: dict[str, float], end: dict[str, float], ids: list[str]) -> list[float]:
    return sorted((end[i] - start[i]) * 1000 for i in ids if i in start and i in end)


def report(f: Figures) -> None:
    def ps(values: list[float]) -> str:
        return " / ".join(f"{percentile(values, p):6.0f}" for p in (50, 95, 99))

    e2e99, floor99 = percentile(f.e2e_ms, 99), percentile(f.floor_ms, 99)
    target = TARGET_P99_MS.get(f.rate)
    against = f"; target {target:.0f} ms: ratio {e2e99 / target:.2f}" if target else ""
    shape = f"{f.offered} events; partitions per log and inbox topic: {PARTITIONS}"
    print(f"{f.rate:>4} events/s offered ({shape}):")
    print(f"  published at {f.paced:.0f} events/s")
    print(f"  publish -> inbox row         p50/p95/p99 {ps(f.e2e_ms)} ms{against}")
    ratio = e2e99 / floor99
    print(f"  publish -> ingest (floor)    p50/p95/p99 {ps(f.floor_ms)} ms   ratio p99 {ratio:.1f}x")
    print(f"  publish -> router's delivery p50/p95/p99 {ps(f.router_ms)} ms")
    print(f"  delivery -> inbox row        p50/p95/p99 {ps(f.projector_ms)} ms")
    print(f"  backlog when publishing stopped: {f.backlog} events, drained in {f.drain_s:.1f} s")
    cpu = ", ".join(f"{name} {ms:.2f} ms" for name, ms in f.cpu_ms.items())
    print(f"  CPU per event: {cpu}", flush=True)


def run(container: Container) -> None:
    children = [*start_workers(container, 1), _projector(container)]
    watch = Watch()
    followers: list[threading.Thread] = []
    publishers: dict[str, Publisher] = {}
    try:
        take_in_registry(container, children)
        bodies = sorted({e.source_body for e in workload(3)})
        ingest = [container.topics.ingest(body) for body in bodies]
        followers.append(_thread(lambda: follow_ingest(container, watch, ingest)))
        followers.append(_thread(lambda: follow_inbox(container, watch)))
        time.sleep(2)  # the ingest follower is at the end of its topics
        home = container.settings.home
        publishers.update(
            (body, container.publisher(body, sequence=home / f"agency-{body}.db")) for body in bodies
        )
        start = 0
        # connections made (the SDK's too), router and projector warm
        warm = offer(publishers, watch, 10, start, children)
        start += warm.offered
        for rate in RATES:
            before = worker_phases(container)
            figures = offer(publishers, watch, rate, start, children)
            start += figures.offered
            report(figures)
            print(f"  the worker's batches: {(worker_phases(container) - before).per_batch()}", flush=True)
    finally:
        for publisher in publishers.values():
            publisher.close()
        watch.stopping.set()
        for thread in followers:
            thread.join()
        stop(children)


def _projector(container: Container) -> Child:
    settings = container.settings
    return Child("bench-projector", ["project"], settings.home / "logs", env=settings.to_env())


def _thread(target: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def main() -> None:
    base = shared_broker()
    with bench_bus(base, metrics_port=free_port()) as container:
        print(f"end-to-end latency, {SECONDS:.0f} s per rate, 1 worker + 1 projector (SQLite):")
        run(container)


if __name__ == "__main__":
    main()
