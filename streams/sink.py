"""Writes a batch's outputs in the Kafka transaction that commits the batch's input offsets.

The worker has one transaction open at a time (streams/group_transaction.py): the sink sends each
record's outputs into it, sealed and, for the log, chained, and acks the record; faust's commit of
the acked offsets then commits the transaction, outputs and offsets together, or neither. faust's
commits take the sink's lock (``guard_commits``), so a commit never falls between a record's
outputs and its ack: faust computes the offsets to commit before it waits for the producer, which
otherwise could commit the outputs of a record whose offset it had not yet counted.

After a crash the transaction is left open; the worker's next start, under the same transactional
id, aborts it before anything is read again, and a worker that is not restarted has it aborted by
the broker's transaction timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import faust
from faust.types import TP

from schemas.chain import Chains, Head, chain_of
from schemas.seal import Seal
from streams.group_transaction import GroupTransaction, Output
from streams.router import Write


@dataclass(frozen=True)
class Written:
    """One input record's outputs, and how to mark the input done."""

    source: TP
    next_offset: int
    """The input's offset plus one: what the group commits once the record is done."""
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

    @property
    def transaction(self) -> GroupTransaction:
        return cast(GroupTransaction, self._app.consumer.transactions)

    async def write(self, batch: Sequence[Written]) -> None:
        """Send each record's outputs sealed, log records chained, into the open transaction, and ack
        it; then checkpoint each chain the batch extended. No commit can fall inside the batch."""
        for topic in sorted({w.topic for item in batch for w in item.writes}):
            await self._declare(topic)
        async with self._boundary:
            outputs: list[Output] = []
            extended: dict[str, Written] = {}
            for item in batch:
                chain = chain_of(item.source.topic, item.source.partition)
                for w in item.writes:
                    if w.role == "log":
                        extended[chain] = item
                    outputs.append(self._output(item, w, chain if w.role == "log" else None))
            for chain, item in extended.items():
                checkpoint = self._checkpoint(chain, self.chains.head(chain))
                await self._declare(checkpoint.topic)
                outputs.append(self._output(item, checkpoint, None))
            await self.transaction.send_all(outputs)
            for item in batch:
                item.ack()

    def _output(self, item: Written, write: Write, chain: str | None) -> Output:
        key = write.key.encode()
        headers = self._seal.headers(write.topic, key, write.value)
        if chain is not None:
            headers += self.chains.extend(chain, key, write.value)
        return Output(item.source, item.next_offset, write.topic, key, write.value, headers)
