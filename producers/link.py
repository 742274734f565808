"""The narrow seam around kafka-python: one lazily built producer, its errors translated."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import errors as kafka_errors
from kafka.producer.future import FutureRecordMetadata

from producers.errors import (
    AUTHENTICATION_ERRORS,
    BrokerUnavailable,
    NotAuthenticated,
    PublishError,
    PublishTimeout,
    TopicMissing,
    translate,
)

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "allow_auto_create_topics": False,
    "linger_ms": 10,
    "batch_size": 256 * 1024,
    "metrics_enabled": False,
    "max_in_flight_requests_per_connection": 5,
    "request_timeout_ms": 15_000,
    "retry_backoff_ms": 200,
    "reconnect_backoff_max_ms": 2_000,
    "delivery_timeout_ms": 30_000,
}
"""Durable by default: every in-sync replica acknowledges, and retries never duplicate. Records
linger up to 10 ms to share a request with those right behind them (flush() sends at once). Each
produce request costs kafka-python about 1 ms of CPU over TLS, so a body publishing steadily pays
that per request, not per event: at 167 events/s, 10 ms roughly halves its requests against 5 ms
and saves up to a fifth of its CPU per event; 20 ms saved little more, and an officer's event waits
that long before it leaves (issue 14, docs/benchmarks.md, twentieth round). A bulk publisher passes
``producer_config={"linger_ms": 20}``; the outbox sends its batches with flush() and does not wait
on the linger. kafka-python's own metrics are off (the SDK keeps its own)."""

log = logging.getLogger(__name__)

_CLIENT_KEYS = frozenset(KafkaConsumer.DEFAULT_CONFIG) - {"bootstrap_servers", "kafka_client", "selector"}


class KafkaLink:
    """Sends one topic's records; connects on first use, checks the topic exists, and reconnects
    after ``reset()``. Every kafka-python error leaving it is a ``PublishError``."""

    def __init__(self, bootstrap_servers: str, topic: str, *, config: dict[str, Any], connect_timeout: float):
        self.topic = topic
        self._bootstrap = bootstrap_servers
        self._config = {**PRODUCER_DEFAULTS, **config}
        self._connect_ms = int(connect_timeout * 1000)
        self._producer: KafkaProducer | None = None

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def send(self, key: bytes, value: bytes) -> FutureRecordMetadata:
        """Hand one record to the producer; its outcome arrives on the returned future."""
        producer = self._producer or self._connect()
        try:
            return producer.send(self.topic, key=key, value=value)
        except kafka_errors.KafkaError as exc:
            raise translate(exc, self.topic) from exc

    def flush(self, timeout: float) -> None:
        """Wait until every record handed over so far is acknowledged or failed, at most ``timeout``."""
        if self._producer is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            slice_ = min(1.0, max(0.0, deadline - time.monotonic()))
            try:
                self._producer.flush(timeout=slice_)
                return
            except kafka_errors.KafkaTimeoutError as exc:
                if time.monotonic() >= deadline:
                    raise PublishTimeout(
                        f"the broker did not acknowledge within {timeout:.0f}s on {self.topic!r}"
                    ) from exc

    def reset(self) -> None:
        """Drop the producer at once (unsent records fail); the next send connects afresh."""
        producer, self._producer = self._producer, None
        if producer is not None:
            _close(producer, 0.0)

    def close(self, timeout: float) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            _close(producer, timeout)

    def _connect(self) -> KafkaProducer:
        timeouts = {"bootstrap_timeout_ms": self._connect_ms, "max_block_ms": self._connect_ms}
        with _watch_authentication() as watch:
            try:
                producer = KafkaProducer(bootstrap_servers=self._bootstrap, **{**timeouts, **self._config})
            except kafka_errors.KafkaError as exc:
                raise self._unreachable(exc, watch) from exc
        try:
            self._check_topic()
        except PublishError:
            _close(producer, 0.0)
            raise
        self._producer = producer
        return producer

    def _check_topic(self) -> None:
        client = {k: v for k, v in self._config.items() if k in _CLIENT_KEYS}
        client.update(bootstrap_timeout_ms=self._connect_ms, request_timeout_ms=self._connect_ms)
        try:
            consumer = KafkaConsumer(bootstrap_servers=self._bootstrap, **client)
        except kafka_errors.KafkaError as exc:
            raise translate(exc, self.topic) from exc
        try:
            partitions = consumer.partitions_for_topic(self.topic)
        except kafka_errors.KafkaError as exc:
            raise translate(exc, self.topic) from exc
        finally:
            consumer.close()
        if not partitions and self._refused_topic(client):
            raise translate(kafka_errors.TopicAuthorizationFailedError(self.topic), self.topic)
        if not partitions:
            raise TopicMissing(
                f"topic {self.topic!r} does not exist (or this client may not describe it);"
                " ask the bus operator to create the body's ingest topic"
            )

    def _refused_topic(self, client: dict[str, Any]) -> bool:
        """Whether the broker refuses this principal the topic (it then says so whether or not the
        topic exists); a listing of all topics only leaves it out."""
        settings = {k: v for k, v in client.items() if k in KafkaAdminClient.DEFAULT_CONFIG}
        admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, **settings)
        try:
            [described] = admin.describe_topics([self.topic])
        except kafka_errors.KafkaError:
            return False
        finally:
            admin.close()
        return bool(described.get("error_code") == kafka_errors.TopicAuthorizationFailedError.errno)

    def _unreachable(self, exc: BaseException, watch: _AuthenticationWatch) -> PublishError:
        if watch.refused:
            return NotAuthenticated(
                f"the cluster at {self._bootstrap} refused this client's credentials: {watch.refused[-1]!r}"
            )
        if watch.dropped and str(self._config.get("security_protocol", "")).startswith("SASL"):
            return NotAuthenticated(
                f"the cluster at {self._bootstrap} refused this client's credentials: it closed the"
                " connection while this client authenticated (a wrong password, or an unknown principal)"
            )
        if isinstance(exc, kafka_errors.KafkaTimeoutError | kafka_errors.KafkaConnectionError):
            return BrokerUnavailable(
                f"no Kafka broker answered at {self._bootstrap} within {self._connect_ms / 1000:.0f}s"
                " (check the address, the network and the security settings)"
            )
        return translate(exc, self.topic)


def _close(producer: KafkaProducer, timeout: float) -> None:
    """Close, or finish closing in the background: kafka-python's close flushes first, and
    records still pending then only end when they expire (``delivery_timeout_ms``)."""
    try:
        producer.close(timeout=timeout)
    except kafka_errors.KafkaError:
        threading.Thread(
            target=_close_when_expired, args=(producer,), name="kafka-close", daemon=True
        ).start()


def _close_when_expired(producer: KafkaProducer) -> None:
    try:
        producer.close()
    except kafka_errors.KafkaError as exc:
        log.warning("closing an abandoned Kafka producer failed: %s", exc)


_DROPPED_AFTER_HELLO = re.compile(r"broker_version=\(\d.*Connection lost: .*socket disconnected")


class _AuthenticationWatch(logging.Handler):
    """Collects the authentication failures kafka-python logs while it bootstraps (it then only
    says that bootstrapping timed out)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.refused: list[BaseException] = []
        self.dropped: list[BaseException] = []
        """Connections the broker closed after it had answered (its version is known): with SASL,
        how Kafka turns away a wrong password, which kafka-python 3.0 does not report as such."""

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        self.refused.extend(a for a in args if isinstance(a, AUTHENTICATION_ERRORS))
        message = record.getMessage()
        if "SaslHandshake failed" in message:
            self.refused.append(kafka_errors.IllegalSaslStateError(message))
        elif _DROPPED_AFTER_HELLO.search(message):
            self.dropped.append(kafka_errors.KafkaConnectionError(message))


@contextmanager
def _watch_authentication() -> Iterator[_AuthenticationWatch]:
    logger = logging.getLogger("kafka.net.connection")
    watch = _AuthenticationWatch()
    logger.addHandler(watch)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
