"""Why an event was refused; each message names what failed so a person can act on it."""

from __future__ import annotations


class EventError(ValueError):
    """Base of every refusal of an event; ``reason`` is a short machine-readable code."""

    reason = "invalid"


class InvalidEvent(EventError):
    """Raised when bytes are not a well-formed event of a known type and version."""

    reason = "invalid"

    def __init__(self, message: str, *, event_type: str | None = None, problems: list[str] | None = None):
        self.event_type = event_type
        self.problems = problems or [message]
        super().__init__(message)


class UnknownEventType(InvalidEvent):
    """Raised when an event names a type the catalogue does not have."""

    reason = "unknown_type"

    def __init__(self, event_type: object):
        super().__init__(
            f"unknown event type {event_type!r}: not in the catalogue (docs/events.md)",
            event_type=str(event_type),
        )


class EventTooLarge(InvalidEvent):
    """Raised when an encoded event is over the size limit (codec.MAX_EVENT_BYTES by default)."""

    reason = "too_large"


class NotCanonical(InvalidEvent):
    """Raised when well-formed event bytes are not in the one canonical encoding."""

    reason = "not_canonical"


class SignatureInvalid(EventError):
    """Raised when a signature is missing, malformed, or does not match the canonical bytes."""

    reason = "bad_signature"
