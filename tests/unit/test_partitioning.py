"""The router's partitioner picks what aiokafka's default partitioner picks, key by key; and a key's
partition is the one the SDK's kafka-python client picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner import murmur2 as sdk_murmur2

from streams.partitioning import KeyHashedOnce, partition_for


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


def test_a_body_id_goes_to_the_partition_the_sdks_client_chooses() -> None:
    """The router's group weighs the partition the SDK writes a body's events to (streams/assignment.py);
    kafka-python's default partitioner takes murmur2 of the key, its sign bit cleared, modulo the count."""
    for n in (1, 2, 3, 12):
        for body in ("city-letters", "yuzhong-letters", "registrar", "bus"):
            assert partition_for(body.encode(), n) == (sdk_murmur2(body.encode()) & 0x7FFFFFFF) % n
