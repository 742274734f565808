"""faust's aiokafka clients, with what the router needs changed: one transaction per batch
(streams/group_transaction.py) in place of one per input partition, a consumer that never
leaves a fetch waiting long and knows every subscribed topic's partition count on every member,
the bodies' partitions spread over the workers (streams/assignment.py), and a way to ask the
group for a new deal of them.

aiokafka keeps one fetch request in flight per broker, and asks only for the partitions whose
records it no longer holds. When the router is behind, the partitions that carry events are the
ones it still holds records of, so the next request names only idle partitions, and the broker
holds it for the whole ``fetch_max_wait_ms`` (faust sets 1,500 ms). Events that arrive meanwhile
wait for it. The router's consumer lets a fetch wait FETCH_MAX_WAIT_MS at most instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

import aiokafka
import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TP, ConsumerT, TransportT
from faust.types.transports import TransactionManagerT

from streams.assignment import BodySpreadingAssignor
from streams.group_transaction import GroupTransaction, StableOffsetsClient, TransactionSettings

FETCH_MAX_WAIT_MS = 100
"""The longest the broker holds the router's fetch for records to arrive. An idle worker then sends
ten empty fetches a second, each naming every ingest partition: 12.6 % of a core idle against
9.3 % with faust's 1,500 ms, on a bus of 20 bodies. 25 ms did no better than 100 at 50–500 events/s."""


class PromptFetchThread(AIOKafkaConsumerThread):
    """faust's consumer thread, whose aiokafka consumer lets a fetch wait FETCH_MAX_WAIT_MS and reads
    its group's offsets only once no transaction holds them pending."""

    def _create_worker_consumer(self, transport: Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when it starts; faust passes 1,500
        consumer._client.__class__ = StableOffsetsClient  # made, not yet used: see its docstring
        return consumer

    def topic_partitions(self, topic: str) -> int | None:
        """How many partitions ``topic`` has, as this worker's consumer knows them: on every member
        of the group. faust's own reads the group coordinator's snapshot of the group's
        subscription, which aiokafka keeps on the group's leader only; on the others it answered
        None, and they measured no ingest partition (streams/lag.py)."""
        partitions = self._consumer.partitions_for_topic(topic) if self._consumer is not None else None
        return len(partitions) if partitions else None

    async def rejoin(self) -> None:
        """Have the group coordinator of this thread's aiokafka consumer rejoin the group; in this
        thread, whose event loop the coordinator runs on."""
        self._ensure_consumer()._coordinator.request_rejoin()


class PromptFetchConsumer(Consumer):
    _thread: PromptFetchThread

    def _new_consumer_thread(self) -> PromptFetchThread:
        return PromptFetchThread(self, loop=self.loop, beacon=self.beacon)

    async def request_rebalance(self) -> None:
        """Ask the group for a new assignment. faust has no call for it, and neither has aiokafka's
        public API: its group coordinator's ``request_rejoin`` is what aiokafka itself calls when a
        subscription changes. The rebalance then runs as any other does."""
        await self._thread.call_thread(self._thread.rejoin)


class RouterTransport(Transport):
    Consumer: ClassVar[type[ConsumerT]] = PromptFetchConsumer
    TransactionManager: ClassVar[type[TransactionManagerT]] = GroupTransaction


class RouterFaustApp(faust.App):
    """A faust app whose transactions are ``GroupTransaction``, whose consumer fetches promptly, and
    whose group spreads the bodies' partitions over its workers."""

    transaction_settings: TransactionSettings
    """Set by the router before the app starts: its one transactional producer."""
    topic_key: Callable[[str], bytes | None]
    """Set by the router before the app starts: the one key every record of a topic carries, if any
    (until then none does, and the group assigns as faust does)."""
    volumes: Mapping[TP, int]
    """Records each ingest partition holds, as last measured (streams/lag.py); empty until then."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, PartitionAssignor=BodySpreadingAssignor, **kwargs)
        self.topic_key = _no_key
        self.volumes = {}

    async def request_rebalance(self) -> None:
        """Ask the group to assign its partitions again (this worker rejoins, and so do the others)."""
        await cast(PromptFetchConsumer, self.consumer).request_rebalance()

    def _new_transport(self) -> TransportT:
        return RouterTransport(self.conf.broker_consumer, self)


def _no_key(topic: str) -> None:
    return None
