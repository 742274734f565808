"""The router's batch metrics: each phase timed from the end of the one before it."""

from __future__ import annotations

import pytest

from streams import metrics as metrics_module
from streams.metrics import RouterMetrics


def test_a_batchs_phases_are_timed_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 10.5, 11.0, 13.0])
    monkeypatch.setattr(metrics_module.time, "perf_counter", lambda: next(clock))
    metrics = RouterMetrics()

    timer = metrics.batch(3)
    for phase in ("decide", "write", "commit"):
        timer.done(phase)

    sample = metrics.registry.get_sample_value
    assert sample("fourfold_router_batch_records_sum") == 3
    assert sample("fourfold_router_batch_records_count") == 1
    seconds = {
        p: sample("fourfold_router_batch_seconds_sum", {"phase": p}) for p in ("decide", "write", "commit")
    }
    assert seconds == {"decide": 0.5, "write": 0.5, "commit": 2.0}
    assert sample("fourfold_router_batch_seconds_bucket", {"phase": "commit", "le": "1.0"}) == 0
    assert sample("fourfold_router_batch_seconds_bucket", {"phase": "commit", "le": "2.5"}) == 1
