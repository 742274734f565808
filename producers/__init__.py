"""The agency SDK: sign and publish events to a body's own ingest topic."""

from producers.errors import (
    BrokerUnavailable,
    EventRefused,
    NotAuthorised,
    PublishError,
    PublishTimeout,
    TopicMissing,
)
from producers.publisher import Publisher

__all__ = [
    "BrokerUnavailable",
    "EventRefused",
    "NotAuthorised",
    "PublishError",
    "PublishTimeout",
    "Publisher",
    "TopicMissing",
]
