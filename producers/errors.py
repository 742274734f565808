"""The SDK's errors, and the one place that maps kafka-python's errors onto them."""

from __future__ import annotations

from kafka import errors as kafka_errors


class PublishError(Exception):
    """Base of every error the SDK raises."""


class EventRefused(PublishError):
    """Raised before sending when an event is invalid or not this body's to publish."""


class BrokerUnavailable(PublishError):
    """Raised when no broker answers at the bootstrap servers."""


class PublishTimeout(PublishError):
    """Raised when the broker did not acknowledge an event in time."""


class NotAuthorised(PublishError):
    """Raised when the cluster refuses this body's credentials or its access to the topic."""


class TopicMissing(PublishError):
    """Raised when the body's ingest topic does not exist (ask the bus operator to create it)."""


def translate(exc: BaseException, topic: str) -> PublishError:
    """Map a kafka-python exception onto the SDK's own."""
    if isinstance(exc, kafka_errors.NoBrokersAvailable):
        return BrokerUnavailable(f"no Kafka broker answers: {exc}")
    if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
        return TopicMissing(f"topic {topic!r} does not exist")
    if isinstance(
        exc,
        (
            kafka_errors.TopicAuthorizationFailedError,
            kafka_errors.ClusterAuthorizationFailedError,
            kafka_errors.TransactionalIdAuthorizationFailedError,
        ),
    ):
        return NotAuthorised(f"not authorised to write to {topic!r}: {exc}")
    if isinstance(exc, kafka_errors.KafkaTimeoutError):
        return PublishTimeout(f"broker did not acknowledge in time on {topic!r}: {exc}")
    if isinstance(exc, kafka_errors.KafkaError):
        return PublishError(f"publishing to {topic!r} failed: {exc}")
    return PublishError(f"publishing to {topic!r} failed: {exc!r}")
