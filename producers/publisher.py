"""Publisher: validate, sign and send a body's events to its ingest topic."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka import errors as kafka_errors

from producers.errors import EventRefused, PublishError, translate
from schemas import (
    Envelope,
    Payload,
    SigningKey,
    Subject,
    Topics,
    encode_event,
    new_event,
    sign_event,
)
from schemas.enums import Classification, Handling

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "linger_ms": 5,
    "max_in_flight_requests_per_connection": 5,
    "request_timeout_ms": 15_000,
    "retry_backoff_ms": 200,
    "delivery_timeout_ms": 60_000,
}


class Publisher:
    """One body's connection to the bus. Connects lazily; flushes on close."""

    def __init__(
        self,
        body_id: str,
        signing_key: SigningKey,
        bootstrap_servers: str,
        *,
        topics: Topics | None = None,
        send_timeout: float = 30.0,
        producer_config: dict[str, Any] | None = None,
    ):
        self.body_id = body_id
        self.topic = (topics or Topics()).ingest(body_id)
        self._key = signing_key
        self._bootstrap = bootstrap_servers
        self._send_timeout = send_timeout
        self._config = {**PRODUCER_DEFAULTS, **(producer_config or {})}
        self._producer: KafkaProducer | None = None
        self._pending: list[Any] = []

    def publish(
        self,
        payload: Payload,
        *,
        subject: Subject,
        occurred_at: datetime,
        classification: Classification = Classification.INTERNAL,
        handling: Handling = Handling.WITHIN_JURISDICTION,
        correlation_id: str | None = None,
        causation_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Wrap, sign and send ``payload``; returns the new event's id."""
        event = new_event(
            payload,
            source_body=self.body_id,
            occurred_at=occurred_at,
            subject=subject,
            classification=classification,
            handling=handling,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        return self.publish_event(event)

    def publish_event(self, event: Envelope) -> uuid.UUID:  # type: ignore[type-arg]
        """Sign and send a ready envelope; it must be this body's own."""
        if event.source_body != self.body_id:
            raise EventRefused(
                f"event {event.event_id} names source {event.source_body!r}, not {self.body_id!r}"
            )
        signed = sign_event(event, self._key)
        self.send_raw(event.correlation_id, encode_event(signed))
        return event.event_id

    def send_raw(self, key: str, value: bytes) -> None:
        """Send already-signed bytes; errors of the send surface at flush()."""
        try:
            future = self._connect().send(self.topic, key=key.encode("utf-8"), value=value)
        except kafka_errors.KafkaError as exc:
            raise translate(exc, self.topic) from exc
        self._pending.append(future)

    def flush(self) -> None:
        """Block until every event sent so far is acknowledged by the broker, or raise."""
        if self._producer is None:
            return
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=self._send_timeout)
            for future in pending:
                future.get(timeout=self._send_timeout)
        except kafka_errors.KafkaError as exc:
            raise translate(exc, self.topic) from exc

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._producer is not None:
                self._producer.close(timeout=self._send_timeout)
                self._producer = None

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(bootstrap_servers=self._bootstrap, **self._config)
            except kafka_errors.KafkaError as exc:
                raise translate(exc, self.topic) from exc
        return self._producer


__all__ = ["PublishError", "Publisher"]
