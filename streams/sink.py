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
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TP

from schemas.chain import Chains, Head, chain_of
from schemas.seal import Seal
from streams.router import Write


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
        """Make faust's offset commits wait for the record being written (call once, in the worker)."""
        if self._guarded:
            return
        consumer = self._app.consumer
        commit = consumer.commit

        async def commit_between_records(*args: Any, **kwargs: Any) -> bool:
            async with self._boundary:
                return bool(await commit(*args, **kwargs))

        consumer.commit = commit_between_records  # type: ignore[method-assign]
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
                for w in item.writes:
                    if w.role == "log":
                        extended[chain] = item.source
                    await self._send(item.source, w, chain if w.role == "log" else None)
                item.ack()
            for chain, source in extended.items():
                checkpoint = self._checkpoint(chain, self.chains.head(chain))
                await self._declare(checkpoint.topic)
                await self._send(source, checkpoint, None)

    async def _send(self, source: TP, write: Write, chain: str | None) -> None:
        key = write.key.encode()
        headers = self._seal.headers(write.topic, key, write.value)
        if chain is not None:
            headers += self.chains.extend(chain, key, write.value)
        await self._app.producer.send(
            write.topic, key, write.value, None, None, headers, transactional_id=self.transactional_id(source)
        )
