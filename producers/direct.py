"""Direct delivery: events go straight to Kafka; failures surface at flush(), after bounded retries."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from kafka.producer.future import FutureRecordMetadata

from producers.errors import PublishError, PublishTimeout, translate
from producers.link import KafkaLink
from producers.metrics import BodyMetrics
from producers.retry import RetryPolicy
from producers.sequence import Sequencer
from producers.staged import Outgoing, StagedEvent, numbered, to_number
from producers.status import DeliveryState, DeliveryStatus

SWEEP_EVERY = 20_000


@dataclass(slots=True)
class _InFlight:
    event: StagedEvent
    future: FutureRecordMetadata
    attempts: int


class DirectDelivery:
    """Keeps each event's bytes until the broker acknowledges it, so a failed send can be retried."""

    def __init__(
        self,
        link: KafkaLink,
        metrics: BodyMetrics,
        *,
        sequencer: Sequencer,
        retry: RetryPolicy,
        max_attempts: int,
        remember: int,
    ):
        self._link = link
        self._sequencer = sequencer
        self._metrics = metrics
        self._retry = retry
        self._max_attempts = max_attempts
        self._remember = remember
        self._inflight: dict[uuid.UUID, _InFlight] = {}
        self._sweep_at = SWEEP_EVERY
        self._finished: OrderedDict[uuid.UUID, DeliveryStatus | FutureRecordMetadata] = OrderedDict()

    def submit(self, events: Sequence[Outgoing]) -> list[bool]:
        """Number and send ``events``; a retry after a failure sends the same numbered bytes."""
        for event in numbered(events, self._sequencer.take(self._link.topic, to_number(events))):
            self._send(event, 1)
        return [True] * len(events)

    def depth(self) -> int:
        """Nothing waits in an outbox: there is none."""
        return 0

    def flush(self, timeout: float) -> None:
        """Return once every event submitted so far is acknowledged; raise naming those that are not."""
        deadline = time.monotonic() + timeout
        retry = 0
        while True:
            try:
                self._link.flush(max(0.0, deadline - time.monotonic()))
            except PublishTimeout as exc:
                raise PublishTimeout(str(exc), event_ids=list(self._inflight)) from exc
            failed = self._settle()
            if not failed:
                return
            retry += 1
            delay = self._retry.delay(retry)
            if not self._may_retry(failed) or time.monotonic() + delay >= deadline:
                raise self._give_up(failed)
            time.sleep(delay)
            self._link.reset()
            for item in failed:
                self._metrics.retried(item.event.event_type)
                self._send(item.event, item.attempts + 1)

    def status(self, event_id: uuid.UUID) -> DeliveryStatus:
        item = self._inflight.get(event_id)
        if item is not None:
            return _from_future(event_id, item.future, item.attempts)
        known = self._finished.get(event_id)
        if isinstance(known, FutureRecordMetadata):
            return _from_future(event_id, known, 1)
        return known or DeliveryStatus(event_id, DeliveryState.UNKNOWN)

    def close(self, timeout: float) -> None:
        try:
            self.flush(timeout)
        finally:
            self._link.close(timeout)
            self._sequencer.close()

    def _send(self, event: StagedEvent, attempts: int) -> None:
        future = self._link.send(event.key, event.value)
        future.add_callback(self._acked, event.event_type, time.monotonic())
        self._inflight[event.event_id] = _InFlight(event, future, attempts)
        if len(self._inflight) >= self._sweep_at:
            self._sweep()

    def _sweep(self) -> None:
        """Forget the bytes of acknowledged events, so a long run without flush() stays bounded."""
        for event_id, item in list(self._inflight.items()):
            if item.future.succeeded():
                self._remember_finished(event_id, item.future)
                del self._inflight[event_id]
        self._sweep_at = len(self._inflight) + SWEEP_EVERY

    def _acked(self, event_type: str, started: float, _metadata: object) -> None:
        self._metrics.published(event_type, time.monotonic() - started)

    def _settle(self) -> list[_InFlight]:
        """Move acknowledged events to the finished record; return the failed ones."""
        failed = []
        for event_id, item in list(self._inflight.items()):
            if item.future.failed():
                failed.append(item)
                self._metrics.failed(item.event.event_type)
            else:
                self._remember_finished(event_id, item.future)
            del self._inflight[event_id]
        return failed

    def _may_retry(self, failed: list[_InFlight]) -> bool:
        return all(
            item.attempts < self._max_attempts and getattr(item.future.exception, "retriable", False)
            for item in failed
        )

    def _give_up(self, failed: list[_InFlight]) -> PublishError:
        first = failed[0].future.exception or RuntimeError("unknown failure")
        error = translate(first, self._link.topic, event_ids=[i.event.event_id for i in failed])
        for item in failed:
            self._remember_finished(
                item.event.event_id,
                DeliveryStatus(item.event.event_id, DeliveryState.FAILED, item.attempts, str(error)),
            )
        return error

    def _remember_finished(self, event_id: uuid.UUID, outcome: DeliveryStatus | FutureRecordMetadata) -> None:
        self._finished[event_id] = outcome
        while len(self._finished) > self._remember:
            self._finished.popitem(last=False)


def _from_future(event_id: uuid.UUID, future: FutureRecordMetadata, attempts: int) -> DeliveryStatus:
    if not future.is_done:
        return DeliveryStatus(event_id, DeliveryState.PENDING, attempts)
    if future.failed():
        return DeliveryStatus(event_id, DeliveryState.FAILED, attempts, str(future.exception))
    meta = future.value
    return DeliveryStatus(event_id, DeliveryState.SENT, attempts, None, meta.partition, meta.offset)
