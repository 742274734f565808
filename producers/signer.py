"""The SDK's fast path to an event's wire bytes: byte for byte what ``encode_event(sign_event(e,
key))`` gives (tests/unit/test_sdk_signing.py proves it for every event type), without building
the signed copy of the envelope, which publishing does not need."""

from __future__ import annotations

import base64
from typing import Any

from schemas import Envelope, SigningKey, encode_event, sign_event
from schemas.canonical import canonical_json

_AFTER_SIGNATURE = b',"source_body":'
"""The first top-level key after "signature" in sorted order; the envelope always has it."""


def signed_wire(event: Envelope[Any], key: SigningKey) -> bytes:
    """The canonical signed bytes of ``event`` as ``key`` signs it."""
    data = event.model_dump(mode="json", exclude={"signature"}, exclude_unset=True)
    data["key_id"] = key.key_id
    message = canonical_json(data)
    at = message.rfind(_AFTER_SIGNATURE)
    if at < 0:
        return encode_event(sign_event(event, key), max_bytes=1 << 62)
    signature = base64.urlsafe_b64encode(key.sign(message))
    return b"".join((message[:at], b',"signature":"', signature, b'"', message[at:]))
