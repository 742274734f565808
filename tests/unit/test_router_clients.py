"""The router's faust clients (streams/clients.py): its transactional producers retry a refused
request after 20 ms, not aiokafka's 100, and its consumer lets a fetch wait 100 ms, not faust's 1,500."""

from __future__ import annotations

import asyncio

import faust

from streams.clients import FETCH_MAX_WAIT_MS, RETRY_BACKOFF_MS, RouterFaustApp


def _retry_backoff(app: faust.App) -> float:
    """Seconds the app's producer for one input partition's transaction waits before a retry."""

    async def made() -> float:
        producer = app.producer._new_producer(transactional_id=f"{app.conf.id}-0")  # type: ignore[attr-defined]
        return float(producer._sender._retry_backoff)

    return asyncio.run(made())


def _fetch_max_wait(app: faust.App) -> int:
    """Milliseconds the broker may hold a fetch of the worker's consumer, as its fetcher will ask."""

    async def made() -> int:
        thread = app.consumer._new_consumer_thread()  # type: ignore[attr-defined]
        return int(thread._create_worker_consumer(app.transport)._fetch_max_wait_ms)

    return asyncio.run(made())


def _apps() -> tuple[faust.App, faust.App]:
    settings = {"broker": "kafka://127.0.0.1:1", "processing_guarantee": "exactly_once"}
    return RouterFaustApp("router-clients", **settings), faust.App("plain-clients", **settings)


def test_a_transactional_producer_retries_after_twenty_milliseconds() -> None:
    router, plain = _apps()
    assert _retry_backoff(router) == RETRY_BACKOFF_MS / 1000 == 0.02
    assert _retry_backoff(plain) == 0.1  # what the router's app changes


def test_the_brokers_hold_on_a_fetch_is_short() -> None:
    router, plain = _apps()
    assert _fetch_max_wait(router) == FETCH_MAX_WAIT_MS == 100
    assert _fetch_max_wait(plain) == 1500  # what the router's app changes
