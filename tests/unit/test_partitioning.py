"""The router's partitioner picks what aiokafka's default partitioner picks, key by key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from streams.partitioning import KeyHashedOnce


def test_the_same_partition_as_aiokafka_for_every_key_and_partition_count() -> None:
    ours, theirs = KeyHashedOnce(), DefaultPartitioner()
    for n in (1, 3, 7, 12):
        partitions = list(range(n))
        for i in range(500):
            key = f"matter-{i}".encode()
            assert ours(key, partitions, partitions) == theirs(key, partitions, partitions)
            assert ours(key, partitions, partitions) == theirs(key, partitions, partitions)  # remembered


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert KeyHashedOnce()(None, [0, 1, 2], [2]) == 2
