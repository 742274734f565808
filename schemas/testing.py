"""Hypothesis strategies for valid events, generated from their JSON Schema (needs hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.catalogue import envelope_for, payload_class
from schemas.envelope import Envelope
from schemas.registry import Schema, event_schema
from schemas.types import ID_PATTERN

MAX_TEXT = 120
"""Longest generated free text; longer texts add time, not cases."""
MAX_ITEMS = 4

_ID_TAIL = "abcdefghijklmnopqrstuvwxyz0123456789_-"
_FAST_PATTERNS: dict[str, st.SearchStrategy[str]] = {
    ID_PATTERN: st.builds(
        str.__add__, st.sampled_from(_ID_TAIL[:-2]), st.text(alphabet=_ID_TAIL, max_size=63)
    )
}
"""Patterns too common for hypothesis' general regex strategy, which is slow."""

_INSTANTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31))
_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def json_data(schema: Schema, root: Schema | None = None) -> st.SearchStrategy[Any]:
    """JSON values valid under ``schema``, for the subset of JSON Schema pydantic writes."""
    root = root if root is not None else schema
    if "$ref" in schema:
        target = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return json_data({**target, **rest}, root)
    if "anyOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return st.one_of([json_data({**rest, **branch}, root) for branch in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    return _BY_TYPE[schema.get("type", "null")](schema, root)


def _string(schema: Schema, root: Schema) -> st.SearchStrategy[str]:
    kind = schema.get("format")
    if kind == "date-time":
        return st.builds(_timestamp, _INSTANTS, _OFFSETS, st.booleans())
    if kind == "uuid":
        return st.uuids().map(str)
    low, high = schema.get("minLength", 0), schema.get("maxLength", MAX_TEXT)
    if "pattern" in schema:
        pattern = str(schema["pattern"])
        fast = _FAST_PATTERNS.get(pattern)
        strings = fast if fast is not None else st.from_regex(pattern, fullmatch=True)
        return strings.filter(lambda text: low <= len(text) <= high)
    return st.text(min_size=low, max_size=max(low, min(high, MAX_TEXT)))


def _timestamp(instant: datetime, offset: timezone, as_utc: bool) -> str:
    aware = instant.replace(tzinfo=UTC).astimezone(offset)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z") if as_utc else aware.isoformat()


def _integer(schema: Schema, root: Schema) -> st.SearchStrategy[int]:
    return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))


def _array(schema: Schema, root: Schema) -> st.SearchStrategy[list[Any]]:
    low = schema.get("minItems", 0)
    high = max(low, min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS))
    return st.lists(json_data(schema.get("items", {}), root), min_size=low, max_size=high)


def _object(schema: Schema, root: Schema) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {name: json_data(prop, root) for name, prop in properties.items() if name in required},
        optional={name: json_data(prop, root) for name, prop in properties.items() if name not in required},
    )


_BY_TYPE = {
    "string": _string,
    "integer": _integer,
    "boolean": lambda schema, root: st.booleans(),
    "null": lambda schema, root: st.none(),
    "array": _array,
    "object": _object,
}


def event_data(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """JSON data of unsigned events of ``event_type`` that pass its schema."""
    schema = event_schema(payload_class(event_type))
    schema["properties"] = {
        name: prop for name, prop in schema["properties"].items() if name not in ("key_id", "signature")
    }
    return json_data(schema)


@cache
def events(event_type: str) -> st.SearchStrategy[Envelope[Any]]:
    """Valid unsigned events of ``event_type``, their timestamps in any offset."""
    model = envelope_for(event_type)
    return (
        event_data(event_type)
        .filter(lambda data: _valid(model, data))
        .map(lambda data: model.model_validate_json(json.dumps(data)))
    )


def _valid(model: type[Envelope[Any]], data: dict[str, Any]) -> bool:
    """False only for what JSON Schema cannot say, such as a period that ends before it starts."""
    try:
        model.model_validate_json(json.dumps(data))
    except ValidationError:
        return False
    return True
