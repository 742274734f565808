"""Writes a record's outputs in the same Kafka transaction that commits the record's offset.

faust-streaming's exactly-once mode keeps one transactional producer per input partition
(transactional id ``<app>-<topic group>-<partition>``) and commits each input partition's
offsets in its producer's transaction. But its ``send`` picks the transaction by the partition
the *output* key hashes to, and when the consumer has no metadata for the output topic (our
log and inboxes) it sends outside any transaction: outputs then survive a crash whose input is
processed again, and consumers see duplicates. This sink sends every output of a record in the
transaction of the record's own input partition, so outputs and offset commit or abort together.

Two more rules keep that atomic:
- a batch's sends and acks happen under one lock, and faust's commit takes the same lock
  (``guard_commits``), so a commit never falls between a record's outputs and its ack: faust
  computes the offsets to commit before it waits for the producer, which otherwise could commit
  the outputs of a record whose offset it had not yet counted;
- after a crash, the producer of the next owner of the partition has the same transactional id,
  which fences the dead one and aborts its open transaction before anything is read again.

faust commits a batch's transactions one input partition after another, each a few round trips
to the broker (offsets into the transaction, its end, the next one begun); a batch that read nine
partitions waited for nine in a row: over 40 % of a batch's time on a backlog. The transactions are
independent (one producer each), so ``guard_commits`` has them committed side by side
(``commit_side_by_side``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TP

from schemas.chain import Chains, Head, chain_of
from schemas.seal import Seal
from streams.router import Write

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """One input record's outputs, and how to mark the input done."""

    source: TP
    writes: tuple[Write, ...]
    ack: Callable[[], object]


class TransactionalSink:
    """One per worker; ``write`` is the only way the router produces."""

    def __init__(
        self,
        app: faust.App,
        declare: Callable[[str], Awaitable[None]],
        seal: Seal,
        chains: Chains,
        checkpoint: Callable[[str, Head], Write],
    ):
        self._app = app
        self._seal = seal
        self._declare = declare
        self.chains = chains
        self._checkpoint = checkpoint
        self._boundary = asyncio.Lock()
        self._guarded = False

    def guard_commits(self) -> None:
        """Make faust's offset commits wait for the record being written, and commit a batch's
        transactions side by side (call once, in the worker)."""
        if self._guarded:
            return
        consumer = self._app.consumer
        commit = consumer.commit

        async def commit_between_records(*args: Any, **kwargs: Any) -> bool:
            async with self._boundary:
                return bool(await commit(*args, **kwargs))

        consumer.commit = commit_between_records  # type: ignore[method-assign]
        producer = self._app.producer
        producer.commit_transactions = commit_side_by_side(producer)  # type: ignore[method-assign]
        self._guarded = True

    def transactional_id(self, source: TP) -> str:
        """faust's transactional id for the input partition (as in its TransactionManager.commit)."""
        group = self._app.assignor.group_for_topic(source.topic)
        return f"{self._app.conf.id}-{group}-{source.partition}"

    async def write(self, batch: Sequence[Written]) -> None:
        """Send each record's outputs sealed, log records chained, in its input partition's
        transaction, and ack it; then checkpoint each chain the batch extended. No commit can fall
        inside the batch."""
        for topic in sorted({w.topic for item in batch for w in item.writes}):
            await self._declare(topic)
        async with self._boundary:
            extended: dict[str, TP] = {}
            for item in batch:
                chain = chain_of(item.source.topic, item.source.partition)
                transaction = self.transactional_id(item.source)
                for w in item.writes:
                    if w.role == "log":
                        extended[chain] = item.source
                    await self._send(transaction, w, chain if w.role == "log" else None)
                item.ack()
            for chain, source in extended.items():
                checkpoint = self._checkpoint(chain, self.chains.head(chain))
                await self._declare(checkpoint.topic)
                await self._send(self.transactional_id(source), checkpoint, None)

    async def _send(self, transactional_id: str, write: Write, chain: str | None) -> None:
        key = write.key.encode()
        headers = self._seal.headers(write.topic, key, write.value)
        if chain is not None:
            headers += self.chains.extend(chain, key, write.value)
        await self._app.producer.send(
            write.topic, key, write.value, None, None, headers, transactional_id=transactional_id
        )


def commit_side_by_side(producer: Any) -> Callable[..., Coroutine[Any, Any, None]]:
    """faust's ``Producer.commit_transactions`` (aiokafka driver), with each transaction committed
    at the same time as the others instead of after them."""

    async def commit_transactions(
        offsets: Mapping[str, Mapping[TP, int]], group_id: str, start_new_transaction: bool = True
    ) -> None:
        await asyncio.gather(
            *(
                _commit_one(producer, transactional_id, tp_offsets, group_id, start_new_transaction)
                for transactional_id, tp_offsets in offsets.items()
            )
        )

    return commit_transactions


async def _commit_one(
    producer: Any, transactional_id: str, offsets: Mapping[TP, int], group_id: str, start_new: bool
) -> None:
    """As faust commits one transaction: its input offsets, its end, and the next one begun."""
    async with producer._trn_locks[transactional_id]:
        transaction = producer._transaction_producers.get(transactional_id)
        if transaction is None:
            log.warning("commit invoked for unknown transaction %s", transactional_id)
            return
        await transaction.send_offsets_to_transaction(offsets, group_id)
        await transaction.commit_transaction()
        if start_new:
            await transaction.begin_transaction()
