"""The agency SDK: validate, sign and publish a body's events to its ingest topic, never losing one.

Light on purpose: kafka-python, pydantic, cryptography, prometheus-client and the standard
library; no faust, no SQLAlchemy. Nothing connects at import; nothing reads the environment.
"""

from producers.errors import (
    BrokerUnavailable,
    EventRefused,
    NotAuthenticated,
    NotAuthorised,
    OutboxError,
    PublishError,
    PublishTimeout,
    TopicMissing,
)
from producers.helpers import body, cadre, region, unit
from producers.link import PRODUCER_DEFAULTS
from producers.metrics import SdkMetrics, default_metrics
from producers.outbox import Outbox
from producers.publisher import Publisher
from producers.retry import RetryPolicy
from producers.staged import Prepared, StagedEvent
from producers.status import DeliveryState, DeliveryStatus

__all__ = [
    "PRODUCER_DEFAULTS",
    "BrokerUnavailable",
    "DeliveryState",
    "DeliveryStatus",
    "EventRefused",
    "NotAuthenticated",
    "NotAuthorised",
    "Outbox",
    "OutboxError",
    "Prepared",
    "PublishError",
    "PublishTimeout",
    "Publisher",
    "RetryPolicy",
    "SdkMetrics",
    "StagedEvent",
    "TopicMissing",
    "body",
    "cadre",
    "default_metrics",
    "region",
    "unit",
]
