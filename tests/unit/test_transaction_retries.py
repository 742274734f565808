"""The router's transactional producers retry a refused request after 20 ms, not aiokafka's 100."""

from __future__ import annotations

import asyncio

import faust

from streams.sink import RETRY_BACKOFF_MS, TransactionalApp


def _retry_backoff(app: faust.App) -> float:
    """Seconds the app's producer for one input partition's transaction waits before a retry."""

    async def made() -> float:
        producer = app.producer._new_producer(transactional_id=f"{app.conf.id}-0")  # type: ignore[attr-defined]
        return float(producer._sender._retry_backoff)

    return asyncio.run(made())


def test_a_transactional_producer_retries_after_twenty_milliseconds() -> None:
    app = TransactionalApp("retries", broker="kafka://127.0.0.1:1", processing_guarantee="exactly_once")
    assert _retry_backoff(app) == RETRY_BACKOFF_MS / 1000 == 0.02


def test_fausts_own_app_would_wait_aiokafkas_default() -> None:
    """What TransactionalApp changes: a plain faust app's producer waits 100 ms."""
    app = faust.App("retries-plain", broker="kafka://127.0.0.1:1", processing_guarantee="exactly_once")
    assert _retry_backoff(app) == 0.1
