"""The router's batches: what waits goes at once; a batch begun from quiet closes on the window's tick."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from streams.batching import batches

LONG = 60.0
"""A window no test waits out: a batch that waited it would fail the test's timeout."""


async def _arrivals(queue: asyncio.Queue[int]) -> AsyncIterator[int]:
    while True:
        yield await queue.get()


def _batches_of(queue: asyncio.Queue[int], *, max_size: int, window: float) -> AsyncIterator[list[int]]:
    return batches(_arrivals(queue), lambda: not queue.empty(), max_size=max_size, window=window)


async def _begun_in_quiet(
    *, max_size: int, window: float
) -> tuple[asyncio.Queue[int], asyncio.Future[list[int]]]:
    """An empty queue, and the first batch, begun with nothing waiting."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    first = asyncio.ensure_future(anext(_batches_of(queue, max_size=max_size, window=window)))
    await asyncio.sleep(0)
    return queue, first


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout=10))


def test_records_waiting_go_at_once_in_batches_of_at_most_max_size() -> None:
    async def test() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(5):
            queue.put_nowait(n)
        ready = _batches_of(queue, max_size=2, window=LONG)
        assert [await anext(ready) for _ in range(3)] == [[0, 1], [2, 3], [4]]

    _run(test)


def test_records_that_queue_up_during_a_batch_form_the_next_without_a_window() -> None:
    async def test() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        queue.put_nowait(0)
        ready = _batches_of(queue, max_size=10, window=LONG)
        assert await anext(ready) == [0]  # something was waiting when it began: no window
        for n in (1, 2, 3):  # arrive while the caller routes the first batch
            queue.put_nowait(n)
        assert await anext(ready) == [1, 2, 3]

    _run(test)


def test_a_record_after_a_long_quiet_waits_only_for_the_windows_next_tick() -> None:
    async def test() -> None:
        queue, first = await _begun_in_quiet(max_size=10, window=1.0)
        await asyncio.sleep(1.3)  # quiet past the first tick: the next is 0.7 s away
        queue.put_nowait(0)
        await asyncio.sleep(0.1)
        assert not first.done()
        queue.put_nowait(1)
        assert await asyncio.wait_for(first, timeout=0.9) == [0, 1]

    _run(test)


def test_a_record_into_quiet_waits_for_the_window_and_those_behind_it_join_its_batch() -> None:
    async def test() -> None:
        queue, first = await _begun_in_quiet(max_size=10, window=1.0)
        queue.put_nowait(0)
        await asyncio.sleep(0.1)
        assert not first.done()  # held for the window
        queue.put_nowait(1)
        assert await first == [0, 1]

    _run(test)


def test_a_full_batch_does_not_wait_for_the_window() -> None:
    async def test() -> None:
        queue, first = await _begun_in_quiet(max_size=1, window=LONG)
        queue.put_nowait(7)
        assert await first == [7]

    _run(test)


def test_no_window_hands_each_record_over_as_it_comes() -> None:
    async def test() -> None:
        queue, first = await _begun_in_quiet(max_size=10, window=0)
        queue.put_nowait(3)
        assert await first == [3]

    _run(test)


class _FaustLikeStream:
    """Hands over queued records as faust's stream does: each pull yields to the loop once before
    it takes from the queue. On pull number ``rebalance_at``, a rebalance runs in that yield and
    drops what is queued, as faust's revocation does (the partitions' next owner reads it again)."""

    def __init__(self, queue: asyncio.Queue[int], rebalance_at: int):
        self.queue = queue
        self.rebalance_at = rebalance_at
        self.pulls = 0

    def __aiter__(self) -> _FaustLikeStream:
        return self

    async def __anext__(self) -> int:
        self.pulls += 1
        await asyncio.sleep(0)
        if self.pulls == self.rebalance_at:
            while not self.queue.empty():
                self.queue.get_nowait()
        return await self.queue.get()


def test_a_rebalance_that_drops_the_queue_mid_batch_does_not_hold_the_batch_back() -> None:
    """faust's revocation drops what is queued, then waits for every record handed over to be
    acked: a batch still waiting for a record said to be queued would never be routed and acked."""

    async def test() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in (1, 2, 3):
            queue.put_nowait(n)
        ready = batches(
            _FaustLikeStream(queue, rebalance_at=2), lambda: not queue.empty(), max_size=10, window=0
        )
        assert await asyncio.wait_for(anext(ready), timeout=2) == [1]
        queue.put_nowait(4)  # reassigned: the stream flows again
        assert await asyncio.wait_for(anext(ready), timeout=2) == [4]

    _run(test)
