"""How the router groups ingest records into batches: everything that has arrived, at once.

faust's ``take_events`` waits out its whole window after every batch before it hands over the
next, even when records queued up while the last batch was being routed: under load every batch
paid the window again on top of the time its records had already waited. Here a batch that begins
with records waiting closes as soon as nothing more is waiting. A batch that begins with nothing
waiting closes, as faust's does, at the next tick of the window counted from the end of the last
batch, so that at human pace records close together still share one transaction (routing each at
once cost more CPU per event at 50 events/s and was no faster).

A batch never waits without bound for a record while it holds others. When the group rebalances,
faust stops the stream's flow, drops what is queued (the partitions' next owner reads it again)
and waits until every record already handed over is acked; a batch that waited for the next
record said to be waiting would hold its records unacked, and the worker would hang in the
rebalance. So a record said to be waiting is waited for a few turns of the event loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

E = TypeVar("E")

HANDOVER_TURNS = 4
"""Turns of the event loop a batch waits for a record said to be waiting before it closes without
it. faust's stream hands a queued record over on the second turn (it yields once first)."""


async def batches(
    records: AsyncIterator[E], waiting: Callable[[], bool], *, max_size: int, window: float
) -> AsyncIterator[list[E]]:
    """Group ``records`` into lists of at most ``max_size``. ``waiting()`` says whether more records
    are ready to be read at once (faust: the stream's channel queue is not empty)."""
    loop = asyncio.get_running_loop()
    source = _Handover(records)
    opened, prompt = loop.time(), waiting()
    try:
        while True:
            batch = [await source.next()]  # holding nothing: wait as long as it takes
            while True:
                if window > 0 and len(batch) < max_size and not (prompt or waiting()):
                    await asyncio.sleep((opened - loop.time()) % window)
                    prompt = True  # the window is served: close once nothing more is waiting
                if len(batch) >= max_size or not waiting():
                    break
                record = await source.within(HANDOVER_TURNS)
                if record is None:  # said to be waiting, yet not handed over: a rebalance took it
                    break
                batch.append(record)
            yield batch
            opened, prompt = loop.time(), waiting()
    except StopAsyncIteration:
        return
    finally:
        source.close()


class _Handover(Generic[E]):
    """The next record of an async iterator, waited for without bound or for a few loop turns; a
    record not handed over within them stays on its way for the next call."""

    def __init__(self, records: AsyncIterator[E]):
        self._records = records
        self._pending: asyncio.Future[E] | None = None

    async def next(self) -> E:
        if self._pending is None:
            return await anext(self._records)
        pending, self._pending = self._pending, None
        return await pending

    async def within(self, turns: int) -> E | None:
        """The next record if it is handed over within ``turns`` turns of the loop, else None."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(anext(self._records))
        for _ in range(turns):
            if self._pending.done():
                break
            await asyncio.sleep(0)
        return await self.next() if self._pending.done() else None

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
