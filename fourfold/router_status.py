"""Which router worker holds which body's events, and how many of them wait: what an operator asks
before adding a worker, and after one stopped (`fourfold router status`).

A body's events are on its ingest topic (one partition: the SDK keys them with the body's id); the
router group's assignor deals those partitions out over the workers (streams/assignment.py). A
body's backlog is what its partition holds past the group's committed offset, which the router
commits in the transaction of each batch it routed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from fourfold.acl import router_group
from schemas.access import KafkaAccess
from schemas.topics import Topics

Place = tuple[str, int]
"""(topic, partition)."""


@dataclass(frozen=True)
class BodyBacklog:
    body_id: str
    worker: str
    """The worker holding the body's events, or "" when none does."""
    records: int
    """Records the body's ingest topic holds (it keeps 30 days)."""
    behind: int
    """Records not yet routed."""


@dataclass(frozen=True)
class RouterStatus:
    group: str
    state: str
    """The consumer group's state as the broker gives it: Stable, PreparingRebalance,
    CompletingRebalance, Empty (no worker) or Dead."""
    workers: list[str]
    bodies: list[BodyBacklog]

    @property
    def behind(self) -> int:
        return sum(body.behind for body in self.bodies)

    def held_by(self, worker: str) -> list[BodyBacklog]:
        return [body for body in self.bodies if body.worker == worker]


def router_status(access: KafkaAccess, topics: Topics) -> RouterStatus:
    """Ask the broker, as ``access``'s principal (one that may describe the router group)."""
    group = router_group(topics)
    admin = KafkaAdminClient(**access.kafka_python())
    consumer = KafkaConsumer(**access.kafka_python(), group_id=None)
    try:
        described = admin.describe_groups([group])[group]
        ingest = sorted(t for t in admin.list_topics() if t.startswith(topics.ingest("")))
        tps = [TopicPartition(t, p) for t in ingest for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends, starts = consumer.end_offsets(tps), consumer.beginning_offsets(tps)
        committed = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        consumer.close()
        admin.close()
    members = described.get("members") or []
    return RouterStatus(
        group,
        described.get("group_state") or "unknown",
        sorted(worker_name(m) for m in members),
        backlogs(
            topics,
            {(tp.topic, tp.partition): (starts[tp], ends[tp]) for tp in tps},
            {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items() if meta.offset >= 0},
            holders(members),
        ),
    )


def backlogs(
    topics: Topics,
    extents: Mapping[Place, tuple[int, int]],
    committed: Mapping[Place, int],
    held: Mapping[Place, str],
) -> list[BodyBacklog]:
    """Each body's backlog, the longest first: ``extents`` gives each ingest partition's first and
    next offsets, ``committed`` the group's offsets, ``held`` the worker holding each partition."""
    bodies: dict[str, BodyBacklog] = {}
    for place, (start, end) in sorted(extents.items()):
        body_id = topics.body_of(place[0])
        done = max(committed.get(place, start), start)
        earlier = bodies.get(body_id, BodyBacklog(body_id, "", 0, 0))
        bodies[body_id] = BodyBacklog(
            body_id,
            earlier.worker or held.get(place, ""),
            earlier.records + end - start,
            earlier.behind + max(end - done, 0),
        )
    return sorted(bodies.values(), key=lambda body: (-body.behind, body.body_id))


def holders(members: Iterable[dict[str, Any]]) -> dict[Place, str]:
    """The worker holding each partition dealt out in the group's current assignment."""
    return {
        (assigned["topic"], partition): worker_name(member)
        for member in members
        for assigned in (member.get("member_assignment") or {}).get("assigned_partitions", [])
        for partition in assigned["partitions"]
    }


def worker_name(member: Mapping[str, Any]) -> str:
    """A worker as the operator finds it: its client id (``fourfold-router.<host>.<pid>``), or for
    an older worker its client id, address and member id."""
    client_id = str(member.get("client_id") or "")
    if client_id.startswith("fourfold-router."):
        return client_id
    host = str(member.get("client_host") or "").lstrip("/")
    return f"{client_id}@{host} {str(member.get('member_id') or '')[-12:]}"
