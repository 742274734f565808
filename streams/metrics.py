"""The router's Prometheus metrics. Labels are only event_type, reason and topic: never content."""

from __future__ import annotations

from collections import Counter as TallyCounter
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from streams.router import Outcome


class RouterMetrics:
    """Counters per event type, latency, and lag; a registry of their own per router."""

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

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
