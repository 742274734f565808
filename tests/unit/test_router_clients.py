"""The router's faust clients (streams/clients.py): one transactional producer per worker, fenced by
the group's generation, that retries a refused request after 20 ms, not aiokafka's 100, and a
transaction's request refused while the last one completes after 2 ms first, not aiokafka's 20; and
a consumer that lets a fetch wait 100 ms, not faust's 1,500."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from aiokafka.errors import (
    ConcurrentTransactions,
    CoordinatorLoadInProgressError,
    NotEnoughReplicasAfterAppendError,
    NotEnoughReplicasError,
    UnknownTopicOrPartitionError,
)
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from streams.clients import FETCH_MAX_WAIT_MS, RouterFaustApp
from streams.group_transaction import (
    MARKERS_BACKOFF_MS,
    RETRY_BACKOFF_MS,
    TRANSACTION_TIMEOUT_MS,
    GroupTransaction,
    MemberProducer,
    Membership,
    TransactionSettings,
    _MemberCommitHandler,
    _PromptAddPartitions,
    _PromptProduce,
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


def test_a_produce_refused_while_the_last_transaction_completes_is_asked_again_from_2_ms() -> None:
    """The broker answers NOT_ENOUGH_REPLICAS when it cannot yet verify a partition is in the
    transaction; the wait doubles each attempt up to the producer's usual 20 ms. Another refusal
    waits the usual 20 ms from the first."""
    sender = _producer()._sender

    def backoff(error: type[Exception], attempt: int) -> float:
        handler = _PromptProduce(sender, {TopicPartition("bus.log", 0): SimpleNamespace(retry_count=attempt)})
        handler.handle_response(
            SimpleNamespace(API_VERSION=7, topics=[("bus.log", [(0, error.errno, -1, -1, -1)])])
        )
        assert len(handler._to_reenqueue) == 1
        return float(handler._default_backoff)

    assert [backoff(NotEnoughReplicasError, attempt) for attempt in range(1, 7)] == [
        0.002,
        0.004,
        0.008,
        0.016,
        RETRY_BACKOFF_MS / 1000,
        RETRY_BACKOFF_MS / 1000,
    ]
    assert backoff(NotEnoughReplicasAfterAppendError, 1) == RETRY_BACKOFF_MS / 1000


def test_offsets_refused_as_loading_while_the_last_transaction_completes_are_asked_again_from_2_ms() -> None:
    sender = _producer()._sender
    offsets = {TopicPartition("bus.ingest.a", 0): OffsetAndMetadata(5, "")}

    def backoff(error: type[Exception]) -> float:
        handler = _MemberCommitHandler(sender, offsets, "router", Membership("member-1", 3))
        return float(
            handler.handle_response(SimpleNamespace(topics=[("bus.ingest.a", [(0, error.errno, {})], {})]))
        )

    loading = CoordinatorLoadInProgressError
    assert [backoff(loading), backoff(loading), backoff(loading)] == [0.002, 0.004, 0.008]
    assert (
        backoff(UnknownTopicOrPartitionError) == RETRY_BACKOFF_MS / 1000
    )  # another refusal: the count restarts
    assert backoff(loading) == 0.002


def test_the_brokers_hold_on_a_fetch_is_short() -> None:
    router, plain = _apps()
    assert _fetch_max_wait(router) == FETCH_MAX_WAIT_MS == 100
    assert _fetch_max_wait(plain) == 1500  # what the router's app changes
