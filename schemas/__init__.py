"""Fourfold's shared language: the event envelope, the catalogue, canonical bytes and signatures."""

from schemas.canonical import canonical_bytes, event_digest
from schemas.catalogue import EVENT_TYPES, envelope_for, payload_class
from schemas.codec import MAX_EVENT_BYTES, decode_event, decode_logged, encode_event
from schemas.envelope import Envelope, Payload, Subject, envelope_class, new_event
from schemas.errors import (
    EventError,
    EventTooLarge,
    InvalidEvent,
    NotCanonical,
    SignatureInvalid,
    UnknownEventType,
)
from schemas.signing import SigningKey, VerifyKey, sign_event, verify_event
from schemas.topics import Topics

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "Envelope",
    "EventError",
    "EventTooLarge",
    "InvalidEvent",
    "NotCanonical",
    "Payload",
    "SignatureInvalid",
    "SigningKey",
    "Subject",
    "Topics",
    "UnknownEventType",
    "VerifyKey",
    "canonical_bytes",
    "decode_event",
    "decode_logged",
    "encode_event",
    "envelope_class",
    "envelope_for",
    "event_digest",
    "new_event",
    "payload_class",
    "sign_event",
    "verify_event",
]
