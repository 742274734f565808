"""The router's Prometheus metrics. Labels are only event_type, reason and topic: never content."""

from __future__ import annotations

import time
from collections import Counter as TallyCounter
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from streams.router import Outcome

PHASES = ("decide", "write", "commit")
"""A batch's phases, in their order: deciding each record, writing the outputs into the batch's
transaction, committing it with the input offsets."""


class RouterMetrics:
    """Counters per event type, latency, lag, and where a worker's time goes: its batches' phases
    and sizes, its saves; a registry of their own per router."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "fourfold_router_events_in", "Ingest records taken in, by event type", ["event_type"], registry=r
        )
        self.events_out = Counter(
            "fourfold_router_events_out",
            "Records written, by event type and kind of topic (log, inbox, reference, quarantine)",
            ["event_type", "topic"],
            registry=r,
        )
        self.quarantined = Counter(
            "fourfold_router_quarantined",
            "Ingest records refused, by reason",
            ["event_type", "reason"],
            registry=r,
        )
        self.duplicates = Counter(
            "fourfold_router_duplicates",
            "Ingest events already on the log, skipped",
            ["event_type"],
            registry=r,
        )
        self.latency = Histogram(
            "fourfold_router_latency_seconds",
            "From an ingest record's append to its outputs being written",
            ["event_type"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.lag = Gauge(
            "fourfold_router_consumer_lag", "Ingest records not yet routed, per topic", ["topic"], registry=r
        )
        batch_seconds = Histogram(
            "fourfold_router_batch_seconds",
            "Seconds a batch spent in each phase on the worker's event loop: deciding its records,"
            " writing their outputs into its transaction, committing it",
            ["phase"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.phases = {phase: batch_seconds.labels(phase=phase) for phase in PHASES}
        self.batch_records = Histogram(
            "fourfold_router_batch_records",
            "Ingest records per batch: one at a quiet moment, more as records queue up",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=r,
        )
        self.save_seconds = Histogram(
            "fourfold_router_save_seconds",
            "Seconds from the start of a save of the worker's state to its being on disk; a save made"
            " while the worker routes takes its steps between batches",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )

    def observe(self, routed: Iterable[tuple[Outcome, float]]) -> None:
        """Count a batch of routed records, each with its latency in seconds; labels come from the
        catalogue and fixed codes only. Counters go up once per label set per batch: a labelled
        increment costs about as much as routing's cheaper steps, and a record makes several."""
        counts: TallyCounter[tuple[Counter, tuple[str, ...]]] = TallyCounter()
        for outcome, latency_seconds in routed:
            kind = outcome.event_type
            self.latency.labels(event_type=kind).observe(max(latency_seconds, 0.0))
            counts[self.events_in, (kind,)] += 1
            if outcome.quarantined is not None:
                counts[self.quarantined, (kind, outcome.quarantined.reason)] += 1
            if outcome.duplicate:
                counts[self.duplicates, (kind,)] += 1
            for write in outcome.writes:
                counts[self.events_out, (write.event_type, write.role)] += 1
        for (counter, labels), n in counts.items():
            counter.labels(*labels).inc(n)

    def batch(self, records: int) -> BatchTimer:
        """A timer for a batch of ``records`` that begins now."""
        self.batch_records.observe(records)
        return BatchTimer(self)

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)


class BatchTimer:
    """Times a batch's phases one after the other (``PHASES``), each from the end of the last."""

    def __init__(self, metrics: RouterMetrics):
        self._phases = metrics.phases
        self._since = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self._phases[phase].observe(now - self._since)
        self._since = now
