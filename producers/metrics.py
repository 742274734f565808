"""Prometheus metrics of the SDK. Labels are the body and the event type only, never content."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from schemas.catalogue import EVENT_TYPES

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LABELS = ("body", "event_type")
RAW = "raw"
"""The event type label of bytes sent with ``Publisher.send_raw``."""


@dataclass(frozen=True)
class SdkMetrics:
    """The SDK's metric families, registered once per registry."""

    published: Counter
    failed: Counter
    refused: Counter
    retried: Counter
    outbox_depth: Gauge
    send_latency: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SdkMetrics:
        return cls(
            published=Counter(
                "fourfold_sdk_published", "Events the broker acknowledged.", LABELS, registry=registry
            ),
            failed=Counter(
                "fourfold_sdk_failed", "Attempts to deliver an event that failed.", LABELS, registry=registry
            ),
            refused=Counter(
                "fourfold_sdk_refused",
                "Events refused before leaving the machine.",
                LABELS,
                registry=registry,
            ),
            retried=Counter(
                "fourfold_sdk_retried", "Events sent again after a failed attempt.", LABELS, registry=registry
            ),
            outbox_depth=Gauge(
                "fourfold_sdk_outbox_depth",
                "Events in the outbox not yet acknowledged.",
                ("body",),
                registry=registry,
            ),
            send_latency=Histogram(
                "fourfold_sdk_send_latency_seconds",
                "From handing an event to Kafka to the broker's acknowledgement.",
                LABELS,
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
        )

    def for_body(self, body_id: str) -> BodyMetrics:
        return BodyMetrics(self, body_id)


@cache
def default_metrics() -> SdkMetrics:
    """The SDK's metrics on prometheus-client's default registry, created on first use."""
    return SdkMetrics.create(REGISTRY)


class BodyMetrics:
    """One body's view of the metrics, with label lookups cached for the hot path."""

    def __init__(self, metrics: SdkMetrics, body_id: str):
        self._m = metrics
        self._body = body_id
        self._depth = metrics.outbox_depth.labels(body_id)
        self._counters: dict[tuple[str, str], Counter] = {}
        self._latency: dict[str, Histogram] = {}

    def published(self, event_type: str, latency: float) -> None:
        self._count("published", event_type).inc()
        histogram = self._latency.get(event_type)
        if histogram is None:
            histogram = self._latency[event_type] = self._m.send_latency.labels(
                self._body, _label(event_type)
            )
        histogram.observe(latency)

    def failed(self, event_type: str, count: int = 1) -> None:
        self._count("failed", event_type).inc(count)

    def refused(self, event_type: str | None) -> None:
        self._count("refused", event_type or "unknown").inc()

    def retried(self, event_type: str, count: int = 1) -> None:
        self._count("retried", event_type).inc(count)

    def outbox_depth(self, depth: int) -> None:
        self._depth.set(depth)

    def _count(self, name: str, event_type: str) -> Counter:
        counter = self._counters.get((name, event_type))
        if counter is None:
            family: Counter = getattr(self._m, name)
            counter = self._counters[(name, event_type)] = family.labels(self._body, _label(event_type))
        return counter


def _label(event_type: str) -> str:
    """Only catalogue names (and ``raw``) become label values, so bad input cannot flood them."""
    return event_type if event_type in EVENT_TYPES or event_type == RAW else "unknown"
