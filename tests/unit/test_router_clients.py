"""The router's faust clients (streams/clients.py): one transactional producer per worker, fenced by
the group's generation, that retries a refused request after 20 ms, not aiokafka's 100, and a
transaction refused while the last one's markers are written after 2 ms, not aiokafka's 20; and a
consumer that lets a fetch wait 100 ms, not faust's 1,500."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from aiokafka.errors import ConcurrentTransactions
from aiokafka.structs import TopicPartition

from streams.clients import FETCH_MAX_WAIT_MS, RouterFaustApp
from streams.group_transaction import (
    MARKERS_BACKOFF_MS,
    RETRY_BACKOFF_MS,
    TRANSACTION_TIMEOUT_MS,
    GroupTransaction,
    MemberProducer,
    TransactionSettings,
    _PromptAddPartitions,
)
from streams.partitioning import KeyHashedOnce


def _fetch_max_wait(app: faust.App) -> int:
    """Milliseconds the broker may hold a fetch of the worker's consumer, as its fetcher will ask."""

    async def made() -> int:
        thread = app.consumer._new_consumer_thread()  # type: ignore[attr-defined]
        return int(thread._create_worker_consumer(app.transport)._fetch_max_wait_ms)

    return asyncio.run(made())


def _apps() -> tuple[RouterFaustApp, faust.App]:
    settings = {"broker": "kafka://127.0.0.1:1", "processing_guarantee": "exactly_once"}
    return RouterFaustApp("router-clients", **settings), faust.App("plain-clients", **settings)


def _producer() -> MemberProducer:
    router, _ = _apps()
    router.transaction_settings = TransactionSettings(
        "router-clients-w1", {"bootstrap_servers": "127.0.0.1:1"}, KeyHashedOnce()
    )

    async def made() -> MemberProducer:
        transactions = router.consumer.transactions
        assert isinstance(transactions, GroupTransaction)
        return transactions.new_producer()

    return asyncio.run(made())


def test_the_worker_commits_through_one_producer_fenced_by_the_groups_generation() -> None:
    producer = _producer()
    assert isinstance(producer, MemberProducer)
    assert producer._txn_manager.transactional_id == "router-clients-w1"
    assert producer._sender._retry_backoff == RETRY_BACKOFF_MS / 1000 == 0.02
    assert producer._txn_manager.transaction_timeout_ms == TRANSACTION_TIMEOUT_MS


def test_a_transaction_begun_while_the_last_ones_markers_are_written_asks_again_within_2_ms() -> None:
    producer = _producer()
    log_partition = TopicPartition("bus.log", 0)
    refused = SimpleNamespace(errors=[("bus.log", [(0, ConcurrentTransactions.errno)])])

    def backoff_once_holding(written: set[TopicPartition]) -> float:
        producer._txn_manager.txn_partitions.clear()
        producer._txn_manager.txn_partitions.update(written)
        return float(_PromptAddPartitions(producer._sender, [log_partition]).handle_response(refused))

    assert backoff_once_holding(set()) == MARKERS_BACKOFF_MS / 1000 == 0.002
    assert backoff_once_holding({TopicPartition("bus.inbox.a", 0)}) == RETRY_BACKOFF_MS / 1000


def test_the_brokers_hold_on_a_fetch_is_short() -> None:
    router, plain = _apps()
    assert _fetch_max_wait(router) == FETCH_MAX_WAIT_MS == 100
    assert _fetch_max_wait(plain) == 1500  # what the router's app changes
