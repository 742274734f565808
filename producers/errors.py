"""The SDK's errors, and the one place that maps kafka-python's errors onto them."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterable

from kafka import errors as kafka_errors


class PublishError(Exception):
    """Base of every error the SDK raises; ``event_ids`` names the events it concerns, if any."""

    retriable = False

    def __init__(self, message: str, *, event_ids: Iterable[uuid.UUID] = ()):
        super().__init__(message)
        self.event_ids = tuple(event_ids)


class EventRefused(PublishError):
    """Raised before sending when an event is invalid or not this body's to publish.

    ``reason`` is a short code (``invalid``, ``too_large``, ``unknown_type``, ``unauthorised``,
    ``derived``, ``no_recipients``: the key directory names no key to seal a protected field for);
    ``problems`` lists each thing wrong, one per line, for a person to act on; it never quotes
    the value of a protected field.
    """

    def __init__(
        self, reason: str, message: str, *, problems: Iterable[str] = (), event_type: str | None = None
    ):
        super().__init__(message)
        self.reason = reason
        self.problems = tuple(problems) or (message,)
        self.event_type = event_type


class BrokerUnavailable(PublishError):
    """Raised when no broker answers at the bootstrap servers."""

    retriable = True


class PublishTimeout(PublishError):
    """Raised when the broker did not acknowledge events in time (see ``event_ids``)."""

    retriable = True


class NotAuthenticated(PublishError):
    """Raised when the cluster refuses this body's credentials (SASL or TLS)."""


class NotAuthorised(PublishError):
    """Raised when the cluster denies this body access to its ingest topic."""


class TopicMissing(PublishError):
    """Raised when the body's ingest topic does not exist (ask the bus operator to create it)."""


class OutboxError(PublishError):
    """Raised when the local outbox cannot store or read events (disk full, file locked)."""


AUTHENTICATION_ERRORS: tuple[type[BaseException], ...] = (
    kafka_errors.SaslAuthenticationFailedError,
    kafka_errors.IllegalSaslStateError,
    kafka_errors.UnsupportedSaslMechanismError,
    ssl.SSLError,
)
AUTHORISATION_ERRORS: tuple[type[BaseException], ...] = (
    kafka_errors.AuthorizationError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.TransactionalIdAuthorizationFailedError,
)


def translate(exc: BaseException, topic: str, *, event_ids: Iterable[uuid.UUID] = ()) -> PublishError:
    """Map a kafka-python exception onto the SDK's own."""
    if isinstance(exc, PublishError):
        return exc
    ids = tuple(event_ids)
    if isinstance(exc, AUTHENTICATION_ERRORS):
        return NotAuthenticated(
            f"the broker refused this client's credentials (a wrong password or an unknown principal): {exc}",
            event_ids=ids,
        )
    if isinstance(exc, AUTHORISATION_ERRORS):
        return NotAuthorised(
            f"the broker refused: this principal may not publish to {topic!r}, only the body whose"
            f" ingest topic it is may ({type(exc).__name__})",
            event_ids=ids,
        )
    if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
        return TopicMissing(f"topic {topic!r} does not exist", event_ids=ids)
    if isinstance(exc, kafka_errors.KafkaConnectionError):
        return BrokerUnavailable(f"lost the connection to the broker: {exc}", event_ids=ids)
    if isinstance(exc, kafka_errors.KafkaTimeoutError):
        return PublishTimeout(f"broker did not acknowledge in time on {topic!r}: {exc}", event_ids=ids)
    error = PublishError(f"publishing to {topic!r} failed: {exc}", event_ids=ids)
    error.retriable = bool(getattr(exc, "retriable", False)) or isinstance(exc, OSError)
    return error


PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidRecordError,
    kafka_errors.CorruptRecordError,
    kafka_errors.UnsupportedForMessageFormatError,
    kafka_errors.InvalidTopicError,
)
"""Refusals of one record that no retry can mend; everything else is retried (an operator can
create a missing topic or grant access meanwhile)."""


def is_permanent(exc: BaseException | None) -> bool:
    return isinstance(exc, PERMANENT_ERRORS)
