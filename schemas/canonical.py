"""The one byte encoding used for signing and hashing: sorted keys, no spaces, UTF-8."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from pydantic import BaseModel

from schemas.envelope import Envelope


def canonical_json(data: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant whitespace.

    orjson writes these bytes several times faster than the standard library, and for what the
    catalogue holds (strings, integers, booleans, null, lists, objects) writes exactly the bytes
    ``reference_canonical_json`` does; the tests hold it to that. What orjson refuses (an integer
    beyond 64 bits, a key that is not a string, a datetime) goes to the reference encoder. There
    are no floats in the catalogue, and readers refuse NaN and infinities before encoding.
    """
    try:
        return orjson.dumps(data, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return reference_canonical_json(data)


_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Sorted keys; datetimes and dataclasses go to the reference encoder (which refuses them) rather
than being written in orjson's own formats."""


def reference_canonical_json(data: Any) -> bytes:
    """The canonical form as the standard library writes it: its definition."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_bytes(event: BaseModel, *, signed: bool = False) -> bytes:
    """Canonical bytes of an event, without the signature unless ``signed`` (what is signed).

    Fields that were never set are left out, so a reader that has since gained an optional
    field still reproduces, byte for byte, what an older writer signed.
    """
    exclude = None if signed else {"signature"}
    return canonical_json(event.model_dump(mode="json", exclude=exclude, exclude_unset=True))


def event_digest(event: Envelope[Any]) -> str:
    """SHA-256 of the event's wire bytes (as read, for an upcast event): its fingerprint."""
    wire = event.wire
    return hashlib.sha256(wire or canonical_bytes(event, signed=True)).hexdigest()


UNSAID = ("key_id", "sequence", "signature")
"""Parts of an event that are not what it says: a re-publication may differ in them."""


def content_digest(event: Envelope[Any], protected: tuple[str, ...] = ()) -> str:
    """SHA-256 of what an event says: its wire bytes (as read, for an upcast event) without its
    number, signing key and signature, nor the ``protected`` fields (dotted paths), which the SDK
    seals afresh each time. The same event published again under a new number, signed with a
    rotated key or sealed again, has the same content digest."""
    wire = event.wire
    data = orjson.loads(wire) if wire else event.model_dump(mode="json", exclude_unset=True)
    for name in UNSAID:
        data.pop(name, None)
    for path in protected:
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node.get(part) or {}
        node.pop(leaf, None)
    return hashlib.sha256(canonical_json(data)).hexdigest()
