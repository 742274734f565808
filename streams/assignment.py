"""Which worker routes which ingest partition: the bodies' partitions spread over the workers.

A body's publisher keys every event with the body's id (producers/staging.py), so that its events
keep their order: each ingest topic carries its body's events on one partition, the one that id
hashes to. faust's assignor takes topics read by one agent for co-partitioned (keyed alike) and
gives partition *i* of each to the same worker. Every body whose id hashed to *i* was then routed
by the one worker holding *i*, however many ran: with three partitions a fourth worker never had
anything to route, and in the benchmarks' workload two bodies of three hashed to the same partition.

``BodySpreadingAssignor`` starts from faust's assignment and moves the partitions that carry a
body's events: the busiest first, each to the worker with the least to route so far. How busy a
partition is: the records it holds over the topic's retention, as the group's leader last measured
them (streams/lag.py). Partitions that hold nothing, or all of them before the leader's first
measure, are dealt out evenly by count. Of workers equally loaded, the one that held a partition
before keeps it. Partitions no body writes to stay where faust put them. Any worker may route any
ingest partition (each holds the whole state and rewinds its chains on a rebalance: streams/app.py),
so who holds what decides only how the work divides. One body's events are routed by one worker
at a time, in their order; the busiest body alone is as fast as one worker.

A deal made before the volumes were known (workers started together) or that volumes have since
outgrown is uneven. The worker that dealt it keeps it (``led``), and ``Spread.gain`` says how much
less the busiest worker would route if it were dealt again by what the partitions hold now; the
router asks the group for a new deal when that is worth a rebalance (streams/app.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from aiokafka.cluster import ClusterMetadata
from faust.assignor.client_assignment import ClientAssignment
from faust.assignor.partition_assignor import (
    ClientAssignmentMapping,
    MemberAssignmentMapping,
    MemberMetadataMapping,
    PartitionAssignor,
)
from faust.types import TP
from faust.types.assignor import HostToPartitionMap

from streams.partitioning import partition_for

log = logging.getLogger(__name__)


def spread(
    owners: Mapping[TP, str], weights: Mapping[TP, int], members: Collection[str], before: Mapping[TP, str]
) -> dict[TP, str]:
    """``owners`` with the partitions ``weights`` names spread over ``members``, heaviest first, each
    to the member with the least weight so far, then the fewest of them; of those, the one that
    owned it ``before`` (else in ``owners``), else the first by id. Weights of zero spread the
    partitions evenly by count."""
    loads = dict.fromkeys(sorted(members), 0)
    counts = dict.fromkeys(loads, 0)
    result = dict(owners)
    for tp in sorted(weights, key=lambda tp: (-weights[tp], tp)):
        previous = before.get(tp, owners.get(tp))
        owner = min(loads, key=lambda m: (loads[m], counts[m], m != previous, m))
        loads[owner] += weights[tp]
        counts[owner] += 1
        result[tp] = owner
    return result


@dataclass(frozen=True)
class Spread:
    """The bodies' partitions as the group's leader dealt them out, and the members it dealt them to."""

    owners: Mapping[TP, str]
    members: tuple[str, ...]

    def gain(self, volumes: Mapping[TP, int]) -> float:
        """How much less the busiest member would route if the partitions were dealt out again by
        ``volumes``, as a fraction of all their records; 0 while they hold none."""
        weights = {tp: volumes.get(tp, 0) for tp in self.owners}
        total = sum(weights.values())
        if not total:
            return 0.0
        dealt_again = spread(self.owners, weights, self.members, self.owners)
        return (_busiest(self.owners, weights) - _busiest(dealt_again, weights)) / total


def _busiest(owners: Mapping[TP, str], weights: Mapping[TP, int]) -> int:
    return max(_loads(owners, weights).values(), default=0)


def _loads(owners: Mapping[TP, str], weights: Mapping[TP, int]) -> Counter[str]:
    """The weight each owner holds of the partitions ``weights`` names."""
    loads: Counter[str] = Counter()
    for tp, weight in weights.items():
        loads[owners[tp]] += weight
    return loads


def busy_partitions(partitions: Mapping[str, int], key_of: Callable[[str], bytes | None]) -> set[TP]:
    """Of topics with ``partitions`` each, the partition each topic's records go to where all of them
    carry one key, ``key_of(topic)``."""
    busy = set()
    for topic, count in partitions.items():
        key = key_of(topic)
        if key is not None:
            busy.add(TP(topic, partition_for(key, count)))
    return busy


class BodySpreadingAssignor(PartitionAssignor):
    """faust's assignor, then the partitions that carry a body's events spread over the workers,
    weighed by how many records each holds.

    The app gives ``topic_key``, the one key all records of a topic carry (or None), and
    ``volumes``, the records each partition holds as last measured (streams/lag.py)."""

    led: Spread | None = None
    """How this worker, as the group's leader, dealt out the assignment it now holds; None when
    another member dealt it."""
    _dealt: Spread | None = None
    _before: dict[TP, str]
    _cluster: ClusterMetadata

    def on_assignment(self, assignment: Any) -> None:
        """Every member is told its assignment here; the leader dealt it just before."""
        super().on_assignment(assignment)
        self.led, self._dealt = self._dealt, None

    def _perform_assignment(
        self, cluster: ClusterMetadata, member_metadata: MemberMetadataMapping
    ) -> MemberAssignmentMapping:
        self._cluster = cluster
        self._before = {
            tp: member
            for member, metadata in member_metadata.items()
            for tp in self._get_client_metadata(metadata).assignment.active_tps
        }
        return super()._perform_assignment(cluster, member_metadata)

    def _protocol_assignments(
        self,
        assignments: ClientAssignmentMapping,
        cl_distribution: HostToPartitionMap,
        tp_distribution: HostToPartitionMap,
        topic_groups: Mapping[str, int],
    ) -> MemberAssignmentMapping:
        owners = {tp: member for member, assigned in assignments.items() for tp in assigned.active_tps}
        partitions = {tp.topic: len(self._cluster.partitions_for_topic(tp.topic) or ()) for tp in owners}
        app = cast(Any, self.app)
        volumes: Mapping[TP, int] = app.volumes
        weights = {tp: volumes.get(tp, 0) for tp in busy_partitions(partitions, app.topic_key)}
        moved = spread(owners, weights, list(assignments), self._before)
        _log_spread(weights, moved)
        self._dealt = Spread({tp: moved[tp] for tp in weights}, tuple(sorted(assignments)))
        spread_out: ClientAssignmentMapping = {
            member: ClientAssignment(
                actives=_by_topic(tp for tp, owner in moved.items() if owner == member),
                standbys=assigned.standbys,
            )
            for member, assigned in assignments.items()
        }
        return super()._protocol_assignments(
            spread_out,
            self._get_changelog_distribution(spread_out),
            self._get_external_topic_distribution(spread_out),
            topic_groups,
        )


def _log_spread(weights: Mapping[TP, int], owners: Mapping[TP, str]) -> None:
    bodies = Counter(owners[tp] for tp in weights)
    loads = _loads(owners, weights)
    spread_as = "; ".join(f"{m}: {n} bodies, {loads[m]} records" for m, n in sorted(bodies.items()))
    log.info("bodies' partitions spread over %d workers: %s", len(bodies), spread_as)


def _by_topic(tps: Iterable[TP]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for tp in sorted(tps):
        out.setdefault(tp.topic, []).append(tp.partition)
    return out
