"""The router's backlog counts every assigned partition, from where routing would resume."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import TP

from schemas.access import KafkaAccess
from streams.lag import Backlog

A0, A1, B0 = TP("in.a", 0), TP("in.a", 1), TP("in.b", 0)


class FakeConsumer:
    """What Backlog asks of faust's consumer: its assignment, fetched ends and first offsets."""

    def __init__(self, ends: dict[TP, Any], earliest: dict[TP, int]):
        self.ends = ends
        self.earliest = earliest

    def assignment(self) -> set[TP]:
        return set(self.ends)

    def highwater(self, tp: TP) -> int | None:
        end = self.ends[tp]
        if isinstance(end, Exception):
            raise end
        return end  # type: ignore[no-any-return]

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.earliest[tp] for tp in tps}


class KnownCommits(Backlog):
    """The group's committed offsets given, instead of asked of the broker."""

    def __init__(self, committed: dict[TP, int]):
        super().__init__(KafkaAccess("unused:9092"), "group")
        self.known = committed

    async def committed(self, tps: list[TP]) -> dict[TP, int]:
        return {tp: self.known[tp] for tp in tps if tp in self.known}


def measure(consumer: FakeConsumer, committed: dict[TP, int], routed: dict[TP, int]) -> dict[str, int]:
    return asyncio.run(KnownCommits(committed).measure(consumer, ["in.a", "in.b"], routed))  # type: ignore[arg-type]


def test_from_the_last_routed_record_when_there_is_one():
    assert measure(FakeConsumer({A0: 10}, {A0: 0}), {A0: 4}, {A0: 7}) == {"in.a": 3, "in.b": 0}


def test_a_partition_never_routed_here_counts_from_the_committed_offset_or_its_start():
    consumer = FakeConsumer({A0: 10, A1: 6, B0: 9}, {A0: 0, A1: 2, B0: 0})
    assert measure(consumer, {A0: 4}, {}) == {"in.a": 6 + 4, "in.b": 9}


def test_a_routed_offset_older_than_the_group_commit_counts_from_the_commit():
    # routed here before a rebalance; another worker routed further since
    assert measure(FakeConsumer({A0: 10}, {A0: 0}), {A0: 8}, {A0: 3}) == {"in.a": 2, "in.b": 0}


def test_partitions_not_fetched_yet_or_taken_by_a_rebalance_are_left_out():
    consumer = FakeConsumer({A0: None, A1: AssertionError("Partition is not assigned"), B0: 5}, {B0: 0})
    assert measure(consumer, {}, {}) == {"in.a": 0, "in.b": 5}
