"""One Kafka transaction per worker and batch, fenced by the consumer group's generation (KIP-447).

faust-streaming's exactly-once mode keeps one transactional producer per input partition, so
that the next owner of a partition, whose producer has the same transactional id, fences a dead
or stalled owner and aborts its open transaction. A batch that read nine partitions then wrote
and committed nine transactions, each a few round trips, and the broker wrote transaction
markers for each. Kafka 2.5 made that unnecessary (KIP-447): an offset commit inside a
transaction (``TxnOffsetCommit`` v3) names the consumer group's member and generation, and the
group coordinator refuses it from a member that has lost its partitions since. One producer per
worker can then commit every partition of a batch in one transaction. aiokafka 0.14 sends only
``TxnOffsetCommit`` v0, without the generation; ``MemberProducer`` sends v3.

The other half of KIP-447 is on the reading side: a worker newly given a partition must not start
from its committed offset while a transaction that commits a later one is still open, as that of
a worker stalled past its session could be. ``StableOffsetsClient`` asks for the offsets with
``require_stable`` (``OffsetFetch`` v7), and the broker answers "unstable" until the transaction
ends; aiokafka asks only v3, which returns the older offset at once.

``GroupTransaction`` takes the place of faust's transaction manager (streams/clients.py): the
router's sink sends a batch's outputs through it, and faust's commit of the batch's offsets ends
the transaction. Its transactional id is the worker's own and outlives a restart of it
(``Snapshots.worker_id``): a worker restarted after a crash aborts the transaction its last
process left open as soon as it starts, so that readers of the log are not held up behind it
until ``TRANSACTION_TIMEOUT_MS``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient, CoordinationType
from aiokafka.errors import (
    CoordinatorLoadInProgressError,
    GroupAuthorizationFailedError,
    IllegalGenerationError,
    KafkaError,
    NotEnoughReplicasError,
    RebalanceInProgressError,
    UnknownMemberIdError,
    for_code,
)
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.producer.sender import (
    BACKOFF_OVERRIDE,
    AddPartitionsToTxnHandler,
    Sender,
    SendProduceReqHandler,
    TxnOffsetCommitHandler,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.commit import OffsetFetchRequest
from aiokafka.protocol.types import (
    Boolean,
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Int64,
    Schema,
    TaggedFields,
)
from faust.transport.consumer import TransactionManager
from faust.types import TP

log = logging.getLogger(__name__)

RETRY_BACKOFF_MS = 20
"""Milliseconds the producer waits before it repeats a request refused as retriable (aiokafka's
default is 100)."""

MARKERS_BACKOFF_MS = 2
"""Milliseconds the producer first waits before it asks again when the broker refused a request of a
transaction because it is still completing the last one: adding the first partitions (the
transaction coordinator), producing to a partition and committing the offsets (KIP-890's checks).
aiokafka waits 20 ms for the first and ``RETRY_BACKOFF_MS`` for the others. At 50 events/s one batch
in eight met the first refusal, one in fourteen the second and one in a hundred the third, each
paying the wait in full (docs/benchmarks.md)."""


def markers_backoff(attempt: int) -> float:
    """Seconds to wait before the ``attempt``-th request in a row (from 1) refused while the last
    transaction completes: MARKERS_BACKOFF_MS, doubling up to RETRY_BACKOFF_MS. The same refusals
    can mean a broker in trouble (too few replicas in sync, a coordinator loading after a failover),
    which is then asked at the producer's usual pace after the fourth."""
    return min(MARKERS_BACKOFF_MS * 2 ** (attempt - 1), RETRY_BACKOFF_MS) / 1000


TRANSACTION_TIMEOUT_MS = 20_000
"""How long the broker keeps a transaction open that its producer stopped tending (a worker killed
and not restarted) before it aborts it; readers of the log wait behind it until then. A batch's
transaction lasts milliseconds."""


NOT_A_MEMBER = (IllegalGenerationError, UnknownMemberIdError, RebalanceInProgressError)
"""The group coordinator's refusals of an offset commit from a member that no longer holds its
partitions (or may not: a rebalance under way)."""


@dataclass(frozen=True)
class Membership:
    """Who commits, as the consumer group knows it now."""

    member_id: str
    generation_id: int


def _tagged(*fields: Any) -> CompactArray:
    """A flexible version's array of structs, each ending in its tagged fields."""
    return CompactArray(*fields, ("tags", TaggedFields))


def _by_topic(*partition_fields: Any) -> CompactArray:
    """A flexible version's array of topics, each with its array of partitions."""
    return _tagged(("name", CompactString("utf-8")), ("partitions", _tagged(*partition_fields)))


class TxnOffsetCommitResponse_v3(Response):
    API_KEY = 28
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("topics", _by_topic(("partition", Int32), ("error_code", Int16))),
        ("tags", TaggedFields),
    )


class TxnOffsetCommitRequest_v3(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 28
    API_VERSION = 3
    RESPONSE_TYPE = TxnOffsetCommitResponse_v3
    SCHEMA = Schema(
        ("transactional_id", CompactString("utf-8")),
        ("group_id", CompactString("utf-8")),
        ("producer_id", Int64),
        ("producer_epoch", Int16),
        ("generation_id", Int32),
        ("member_id", CompactString("utf-8")),
        ("group_instance_id", CompactString("utf-8")),
        (
            "topics",
            _by_topic(
                ("partition", Int32),
                ("offset", Int64),
                ("leader_epoch", Int32),
                ("metadata", CompactString("utf-8")),
            ),
        ),
        ("tags", TaggedFields),
    )


class MemberTxnOffsetCommit(Request[TxnOffsetCommitRequest_v3]):
    """``TxnOffsetCommit`` as a member of the group: the broker checks the generation (KIP-447)."""

    API_KEY = 28

    def __init__(self, *fields: Any):
        self._fields = fields

    def build(self, request_struct_class: type[TxnOffsetCommitRequest_v3]) -> TxnOffsetCommitRequest_v3:
        return request_struct_class(*self._fields)


class _MemberCommitHandler(TxnOffsetCommitHandler):
    """aiokafka's handler of a transaction's offset commit, sending v3 with the membership."""

    def __init__(self, sender: Sender, offsets: Any, group_id: str, membership: Membership):
        super().__init__(sender, offsets, group_id)
        self._membership = membership

    def create_request(self) -> MemberTxnOffsetCommit:
        txn = self._sender._txn_manager
        topics: dict[str, list[Any]] = defaultdict(list)
        for tp, offset in sorted(self._offsets.items()):
            topics[tp.topic].append((tp.partition, offset.offset, -1, offset.metadata, {}))
        member = self._membership
        return MemberTxnOffsetCommit(
            txn.transactional_id,
            self._group_id,
            txn.producer_id,
            txn.producer_epoch,
            member.generation_id,
            member.member_id,
            None,
            [(topic, partitions, {}) for topic, partitions in topics.items()],
            {},
        )

    def handle_response(self, resp: Any) -> Any:
        """A refusal for want of membership fails the transaction, to be aborted; the rest is
        aiokafka's handling of the v0 response, which has the v3 one's errors without tags. The
        group coordinator verifies a transaction's offsets with its coordinator too (KAFKA-15449)
        and, while the last transaction completes, answers "loading": asked again after
        ``markers_backoff``, not RETRY_BACKOFF_MS."""
        codes = {code for _, partitions, _ in resp.topics for _, code, _ in partitions}
        for error_type in map(for_code, codes):
            if error_type in NOT_A_MEMBER:
                self._fail_transaction(error_type())
                return None
        resp.errors = [
            (topic, [(partition, code) for partition, code, _ in partitions])
            for topic, partitions, _ in resp.topics
        ]
        backoff = super().handle_response(resp)
        sender = cast(_MemberSender, self._sender)
        if backoff is None or CoordinatorLoadInProgressError.errno not in codes:
            sender.commit_refusals = 0
            return backoff
        sender.commit_refusals += 1
        return markers_backoff(sender.commit_refusals)

    def _fail_transaction(self, exc: Exception) -> None:
        """Fail the transaction, to be aborted. aiokafka forgets the partitions it wrote to when it
        does, and then aborts only in memory, leaving the broker to time the transaction out while
        readers wait behind it; they are kept, so that the abort reaches the broker."""
        txn = self._sender._txn_manager
        written = set(txn.txn_partitions)
        txn.error_transaction(exc)
        txn.txn_partitions.update(written)


class _PromptAddPartitions(AddPartitionsToTxnHandler):
    """aiokafka's handler of ``AddPartitionsToTxn``, asking again sooner while the last transaction's
    markers are still being written: for that refusal alone (``ConcurrentTransactions`` on a
    transaction's first partitions) aiokafka returns its fixed 20 ms, ``BACKOFF_OVERRIDE``."""

    def handle_response(self, resp: Any) -> Any:
        backoff = super().handle_response(resp)
        return MARKERS_BACKOFF_MS / 1000 if backoff is BACKOFF_OVERRIDE else backoff


class _PromptProduce(SendProduceReqHandler):
    """aiokafka's produce handler, asking again after ``markers_backoff`` when the partition's leader
    could not yet verify that the partition is in the transaction, as while the last transaction
    completes: the broker says so as NOT_ENOUGH_REPLICAS (KAFKA-15459), which aiokafka repeats
    after RETRY_BACKOFF_MS."""

    def handle_response(self, response: Any) -> None:
        codes = {info[1] for _, partitions in response.topics for info in partitions}
        super().handle_response(response)
        if self._to_reenqueue and codes - {0} == {NotEnoughReplicasError.errno}:
            self._default_backoff = markers_backoff(max(batch.retry_count for batch in self._to_reenqueue))


class _MemberSender(Sender):
    """aiokafka's sender, whose offset commits carry the group membership ``membership`` reports,
    and which asks again promptly when a transaction's request is refused as the last one ends."""

    membership: Callable[[], Membership]
    commit_refusals: int = 0
    """Offset commits refused in a row while the last transaction completed."""

    async def _do_add_partitions_to_txn(self, tps: Any) -> bool:
        txn = self._txn_manager
        node_id = await self._find_coordinator(CoordinationType.TRANSACTION, txn.transactional_id)
        return bool(await _PromptAddPartitions(self, tps).do(node_id))

    async def _send_produce_req(self, node_id: int, batches: Any) -> None:
        await _PromptProduce(self, batches).do(node_id)
        self._in_flight.remove(node_id)
        for tp in batches:
            self._muted_partitions.remove(tp)

    async def _do_txn_offset_commit(self, offsets: Any, group_id: str) -> None:
        if not offsets:
            return
        try:
            node_id = await self._find_coordinator(CoordinationType.GROUP, group_id)
        except GroupAuthorizationFailedError as exc:
            self._txn_manager.error_transaction(exc)
            return
        await _MemberCommitHandler(self, offsets, group_id, self.membership()).do(node_id)


class MemberProducer(AIOKafkaProducer):
    """A transactional aiokafka producer whose offset commits are fenced by the group's generation."""

    def __init__(self, membership: Callable[[], Membership], **settings: Any):
        super().__init__(**settings)
        self._sender.__class__ = _MemberSender
        self._sender.membership = membership  # type: ignore[attr-defined]


UNSTABLE_OFFSET_COMMIT = 88
"""The broker's answer to ``require_stable`` while a transaction holds the offset pending."""
COORDINATOR_LOAD_IN_PROGRESS = 14
"""What aiokafka, which knows no code 88, retries after its backoff, as Java's client retries 88."""


class OffsetFetchResponse_v7(Response):
    API_KEY = 9
    API_VERSION = 7
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "topics",
            _by_topic(
                ("partition", Int32),
                ("offset", Int64),
                ("leader_epoch", Int32),
                ("metadata", CompactString("utf-8")),
                ("error_code", Int16),
            ),
        ),
        ("error_code", Int16),
        ("tags", TaggedFields),
    )


class OffsetFetchRequest_v7(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 9
    API_VERSION = 7
    RESPONSE_TYPE = OffsetFetchResponse_v7
    SCHEMA = Schema(
        ("group_id", CompactString("utf-8")),
        ("topics", _tagged(("name", CompactString("utf-8")), ("partitions", CompactArray(Int32)))),
        ("require_stable", Boolean),
        ("tags", TaggedFields),
    )


class StableOffsetFetch(Request[OffsetFetchRequest_v7]):
    """``OffsetFetch`` that waits out open transactions: ``require_stable`` (KIP-447)."""

    API_KEY = 9

    def __init__(self, group_id: str, partitions: list[tuple[str, list[int]]]):
        self._group_id = group_id
        self._partitions = partitions

    def build(self, request_struct_class: type[OffsetFetchRequest_v7]) -> OffsetFetchRequest_v7:
        no_tags: dict[int, bytes] = {}
        topics = [(topic, partitions, no_tags) for topic, partitions in self._partitions]
        return request_struct_class(self._group_id, topics, True, no_tags)


class StableOffsetsClient(AIOKafkaClient):
    """aiokafka's client, whose consumer group asks for its committed offsets with ``require_stable``
    and reads the answer as aiokafka reads v3's, an offset still pending as one to ask for again."""

    async def send(self, node_id: int, request: Any, **kwargs: Any) -> Any:
        if not isinstance(request, OffsetFetchRequest) or request._partitions is None:
            return await super().send(node_id, request, **kwargs)
        response = await super().send(
            node_id, StableOffsetFetch(request._consumer_group, request._partitions), **kwargs
        )
        response.topics = [
            (topic, [_as_v3(*partition) for partition in partitions])
            for topic, partitions, _ in response.topics
        ]
        return response


@dataclass(frozen=True)
class Output:
    """One record to send in the transaction, and the input record it is an output of."""

    source: TP
    next_offset: int
    """The input's offset plus one: what the transaction commits for ``source`` with it."""
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


async def send_batched(
    producer: AIOKafkaProducer, outputs: Sequence[Output], partitioner: Callable[..., int]
) -> None:
    """Send ``outputs`` in their order, as one record batch per partition (more if one fills), each
    on the partition ``partitioner`` chooses for its key, as ``send`` would: aiokafka's ``send`` of
    each record on its own cost 11-12 µs of CPU against 6-7 µs appended to a batch (measured here),
    and the router writes five or six records per event (the log, each recipient's inbox)."""
    partitions = {topic: sorted(await producer.partitions_for(topic)) for topic in {o.topic for o in outputs}}
    batches: dict[tuple[str, int], BatchBuilder] = {}
    for out in outputs:
        place = (out.topic, partitioner(out.key, partitions[out.topic], partitions[out.topic]))
        batch = batches.get(place)
        if batch is None or not _append(batch, out):
            if batch is not None:  # full: send it and begin another, whose first record always fits
                await producer.send_batch(batch, place[0], partition=place[1])
            batch = batches[place] = producer.create_batch()
            _append(batch, out)
    for (topic, partition), batch in batches.items():
        await producer.send_batch(batch, topic, partition=partition)


def _append(batch: BatchBuilder, out: Output) -> bool:
    return batch.append(timestamp=None, key=out.key, value=out.value, headers=out.headers) is not None


def _as_v3(
    partition: int, offset: int, _epoch: int, metadata: str | None, error: int, _tags: Any
) -> tuple[Any, ...]:
    if error == UNSTABLE_OFFSET_COMMIT:
        log.info("a transaction holds the committed offset of partition %d pending: asking again", partition)
        error = COORDINATOR_LOAD_IN_PROGRESS
    return partition, offset, metadata or "", error


@dataclass(frozen=True)
class TransactionSettings:
    """How the worker's one transactional producer reaches the broker, and under which id."""

    transactional_id: str
    client: Mapping[str, Any]
    """aiokafka keyword arguments: address and credentials (schemas/access.KafkaAccess)."""
    partitioner: Callable[..., int]


class GroupTransaction(TransactionManager):
    """faust's transaction manager, with one producer and one transaction per batch.

    The router's sink sends through ``send_all``; faust's commit of the batch's offsets
    commits the transaction. The transaction also commits the offset after every input record whose
    outputs it holds (``written``), even where faust would not: faust holds back a partition's
    offsets when it sees a gap before them (another producer's transaction markers), and the
    outputs would otherwise be visible while their records are read again."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._producer: MemberProducer | None = None
        self._open = False
        self.written: dict[TP, int] = {}
        """Input partition -> the offset after the last record whose outputs the transaction holds."""

    async def on_start(self) -> None:
        self._producer = self.new_producer()
        await self._producer.start()  # fences the worker's previous process and aborts what it left open

    def new_producer(self) -> MemberProducer:
        settings: TransactionSettings = self.app.transaction_settings  # type: ignore[attr-defined]
        return MemberProducer(
            self._membership,
            **settings.client,
            transactional_id=settings.transactional_id,
            transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
            retry_backoff_ms=RETRY_BACKOFF_MS,
            partitioner=settings.partitioner,
        )

    async def on_stop(self) -> None:
        if self._producer is None:
            return
        if self._open:
            log.info("stopping with a transaction open: aborting it")
            try:
                await self._producer.abort_transaction()
            except KafkaError as exc:  # fenced: the broker aborts it, or the next start does
                log.warning("cannot abort the open transaction: %r", exc)
        await self._producer.stop()

    def _membership(self) -> Membership:
        coordinator = self.consumer._thread._ensure_consumer()._coordinator  # type: ignore[attr-defined]
        return Membership(coordinator.member_id, coordinator.generation)

    async def _begun(self) -> MemberProducer:
        """The producer, with a transaction open."""
        if self._producer is None:
            raise RuntimeError("the worker's transactional producer is not started")
        if not self._open:
            await self._producer.begin_transaction()
            self._open = True
        return self._producer

    async def send_all(self, outputs: Sequence[Output]) -> None:
        """Send ``outputs`` in the open transaction (see ``send_batched``)."""
        if not outputs:
            return
        producer = await self._begun()
        for out in outputs:
            self.written[out.source] = max(self.written.get(out.source, 0), out.next_offset)
        await send_batched(producer, outputs, self.app.transaction_settings.partitioner)  # type: ignore[attr-defined]

    async def flush(self) -> None:
        if self._producer is not None:
            await self._producer.flush()

    async def on_rebalance(self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP]) -> None:
        """Nothing to start or stop: one producer serves every partition the worker holds."""

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        """Commit the open transaction with ``offsets``, the group's next offset of each input; if
        that cannot be done, stop the worker, leaving the transaction to be aborted."""
        if not offsets and not self.written:
            return False
        try:
            await self._commit(offsets)
        except Exception as exc:  # fenced, or refused as a member of an older generation
            log.critical("cannot commit the batch's transaction; stopping: %r", exc)
            await self.app.crash(exc)
            raise
        return True

    async def _commit(self, offsets: Mapping[TP, int]) -> None:
        producer = await self._begun()
        done = {**offsets, **{tp: max(n, offsets.get(tp, 0)) for tp, n in self.written.items()}}
        await producer.send_offsets_to_transaction(done, self.app.conf.id)
        await producer.commit_transaction()
        self._open = False
        self.written.clear()
