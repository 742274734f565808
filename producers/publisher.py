"""Publisher: validate, sign and send a body's events to its ingest topic, directly or via an outbox."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from producers.direct import DirectDelivery
from producers.directory import Directory
from producers.errors import EventRefused, PublishError
from producers.helpers import PublishHelpers
from producers.link import PRODUCER_DEFAULTS, KafkaLink
from producers.metrics import RAW, SdkMetrics, default_metrics
from producers.outbox import Outbox
from producers.retry import RetryPolicy
from producers.sender import OutboxDelivery
from producers.sequence import Sequencer
from producers.staged import Outgoing, Prepared, StagedEvent
from producers.staging import Stager
from producers.status import DeliveryStatus
from schemas import MAX_EVENT_BYTES, Envelope, Payload, SigningKey, Subject, Topics
from schemas.enums import BodyKind, Classification, Handling

log = logging.getLogger(__name__)


class _Delivery(Protocol):
    """How accepted events reach Kafka: DirectDelivery, or OutboxDelivery through the outbox."""

    def submit(self, events: Sequence[Outgoing]) -> list[bool]: ...
    def flush(self, timeout: float) -> None: ...
    def status(self, event_id: uuid.UUID) -> DeliveryStatus: ...
    def depth(self) -> int: ...
    def close(self, timeout: float) -> None: ...


class Publisher(PublishHelpers):
    """One body's connection to the bus; connects lazily, flushes on close.

    Direct (no ``outbox``): publish() hands the event to Kafka and returns; delivery failures
    surface at flush(), after bounded retries. With an ``outbox`` (a path or an Outbox):
    publish() returns once the event is stored locally, and a background sender delivers it,
    retrying with backoff for as long as it takes, also after this process restarts. With a key
    ``directory``, protected fields are sealed for the bodies allowed to read them before signing.

    Every event carries the body's next sequence number (producers/sequence.py). The outbox keeps
    the count; without one, the ``sequence`` file does (give the outbox's path), or else memory,
    which suits only a bus new to the body.
    """

    def __init__(
        self,
        body_id: str,
        signing_key: SigningKey,
        bootstrap_servers: str,
        *,
        topics: Topics | None = None,
        outbox: Outbox | Path | str | None = None,
        body_kind: BodyKind | None = None,
        send_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        producer_config: dict[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        max_attempts: int = 3,
        max_event_bytes: int = MAX_EVENT_BYTES,
        metrics: SdkMetrics | None = None,
        directory: Directory | Path | None = None,
        outbox_retention: timedelta | None = timedelta(days=7),
        sequence: Path | None = None,
    ):
        self.body_id = body_id
        self.topic = (topics or Topics()).ingest(body_id)
        self._send_timeout = send_timeout
        if isinstance(directory, Path):
            directory = Directory.load(directory)
        self._stager = Stager(
            body_id, signing_key, body_kind=body_kind, max_event_bytes=max_event_bytes, directory=directory
        )
        self._metrics = (metrics or default_metrics()).for_body(body_id)
        # a batch must fit the ingest topic's limit, which the broker holds to the event size limit
        batch_size = min(PRODUCER_DEFAULTS["batch_size"], max_event_bytes)
        config = {**PRODUCER_DEFAULTS, "batch_size": batch_size, **(producer_config or {})}
        link = KafkaLink(bootstrap_servers, self.topic, config=config, connect_timeout=connect_timeout)
        retry = retry or RetryPolicy()
        self._delivery: _Delivery
        if outbox is None:
            self._delivery = DirectDelivery(
                link,
                self._metrics,
                sequencer=Sequencer(sequence),
                retry=retry,
                max_attempts=max_attempts,
                remember=10_000,
            )
            return
        retention = outbox_retention.total_seconds() if outbox_retention is not None else None
        store = outbox if isinstance(outbox, Outbox) else Outbox(outbox, retention=retention)
        ack_timeout = config["delivery_timeout_ms"] / 1000 + 5
        sender = OutboxDelivery(
            store, link, self._metrics, body_id=body_id, retry=retry, ack_timeout=ack_timeout
        )
        self._delivery = sender
        if sender.depth():  # an earlier run left events behind: send them now
            sender.start()

    @property
    def uses_outbox(self) -> bool:
        return isinstance(self._delivery, OutboxDelivery)

    def publish(
        self,
        payload: Payload,
        *,
        subject: Subject | None = None,
        occurred_at: datetime | None = None,
        classification: Classification = Classification.INTERNAL,
        handling: Handling = Handling.WITHIN_JURISDICTION,
        correlation_id: str | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Wrap, validate, sign and send ``payload``; returns the new event's id.

        The subject defaults to the cadre or unit the payload names, the matter (correlation id)
        to its clue, case, rectification, round, plan or finding id, ``occurred_at`` to now.
        """
        event = self.envelope(
            payload,
            subject=subject,
            occurred_at=occurred_at,
            classification=classification,
            handling=handling,
            correlation_id=correlation_id,
            causation_id=causation_id,
            event_id=event_id,
        )
        return self.publish_event(event)

    def publish_event(self, event: Envelope[Any]) -> uuid.UUID:
        """Sign and send a ready envelope; it must be this body's own."""
        self.submit([self.prepare(event)])
        return event.event_id

    def envelope(self, payload: Payload, **options: Any) -> Envelope[Any]:
        """The unsigned envelope publish() would send, or EventRefused."""
        try:
            return self._stager.envelope(payload, **{**_ENVELOPE_DEFAULTS, **options})
        except EventRefused as exc:
            self._metrics.refused(exc.event_type)
            raise

    def prepare(self, event: Envelope[Any]) -> Prepared:
        """Check and seal ``event`` without sending it (the bulk path: see submit())."""
        try:
            return self._stager.prepare(event)
        except EventRefused as exc:
            self._metrics.refused(exc.event_type)
            raise

    def submit(self, events: Sequence[Outgoing]) -> list[bool]:
        """Number, sign and send prepared events; with an outbox, stores them in one transaction.
        For each event, False when the outbox already held it (publishing the same event twice is
        harmless: the bus takes it in once)."""
        return self._delivery.submit(events)

    def send_raw(self, key: str, value: bytes) -> None:
        """Send bytes as they are, unchecked and unnumbered (for tests of the bus's own checks)."""
        self.submit([StagedEvent(uuid.uuid4(), RAW, key.encode("utf-8"), value)])

    def status(self, event_id: uuid.UUID) -> DeliveryStatus:
        """Where the event is: pending, sent (with partition and offset), failed, or unknown."""
        return self._delivery.status(event_id)

    @property
    def outbox_depth(self) -> int:
        """Events in the outbox not yet acknowledged (always 0 without an outbox)."""
        return self._delivery.depth()

    def flush(self, timeout: float | None = None) -> None:
        """Block until every event published so far is acknowledged by the broker, or raise."""
        self._delivery.flush(self._send_timeout if timeout is None else timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush and disconnect. With an outbox, what is not delivered within ``timeout`` stays in
        the outbox for the next run instead of raising."""
        self._delivery.close(self._send_timeout if timeout is None else timeout)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except PublishError as error:  # the exception already on its way matters more
            log.warning("closing the publisher of %s after %r failed too: %s", self.body_id, exc, error)


_ENVELOPE_DEFAULTS: dict[str, Any] = {
    "subject": None,
    "occurred_at": None,
    "classification": Classification.INTERNAL,
    "handling": Handling.WITHIN_JURISDICTION,
    "correlation_id": None,
    "causation_id": None,
    "event_id": None,
}
