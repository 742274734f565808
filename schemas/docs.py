"""Renders the event catalogue document (docs/events.md) from the models."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, get_args, get_origin

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo

from schemas import types
from schemas.categories import FindingCategory
from schemas.codec import MAX_EVENT_BYTES
from schemas.enums import (
    BodyKind,
    Classification,
    Disposition,
    Handling,
    HowFound,
    InformationCredibility,
    JurisdictionRole,
    LabelledEnum,
    ManagementLevel,
    PlanKind,
    Severity,
    SourceReliability,
    SubjectKind,
    UnitLevel,
    VerificationOutcome,
    ViewedRecord,
)
from schemas.envelope import Payload
from schemas.errors import (
    EventTooLarge,
    InvalidEvent,
    NotCanonical,
    SignatureInvalid,
    UnknownEventType,
)
from schemas.events.followup import ReportCadence
from schemas.registry import Schema, event_schema, file_name

VOCABULARIES: tuple[type[StrEnum], ...] = (
    FindingCategory,
    BodyKind,
    Classification,
    Handling,
    Severity,
    Disposition,
    SourceReliability,
    InformationCredibility,
    HowFound,
    ManagementLevel,
    PlanKind,
    SubjectKind,
    UnitLevel,
    JurisdictionRole,
    VerificationOutcome,
    ViewedRecord,
    ReportCadence,
)
_TYPES: dict[str, Any] = {
    meta.title: alias
    for alias in vars(types).values()
    if get_origin(alias) is Annotated
    for meta in get_args(alias)[1:]
    if isinstance(meta, FieldInfo) and meta.title
}
"""The named field types of schemas.types, by name."""
_TYPE_NAMES = frozenset(_TYPES)
_REFUSALS = (InvalidEvent, UnknownEventType, EventTooLarge, NotCanonical, SignatureInvalid)
_ENVELOPE_SKIP = ("payload",)

_PREAMBLE = f"""\
# Event catalogue

Generated from the models in `schemas/` by `python -m schemas.export`: do not edit by hand.
`tests/unit/test_schemas_export.py` fails when this file or `schemas/json/` is out of date.

Every fact on the bus is one event: an **envelope** (who says it, about whom, how sensitive,
signed) around a **payload** (the event's own fields). Events are named in the past tense.

## Wire format

- **Encoding.** One canonical form, used for the wire, for signing and for hashing: UTF-8
  JSON with keys sorted, no insignificant whitespace, non-ASCII characters written as they
  are, and every timestamp in UTC as `2026-01-31T08:00:00.000000Z`. Fields left at their
  default and never set are left out. A reader refuses bytes that are not in this form.
- **Size limit.** An encoded event is at most **{MAX_EVENT_BYTES:,} bytes (64 KiB)**
  (`schemas.codec.MAX_EVENT_BYTES`). `encode_event` refuses to write a larger event and
  `decode_event` refuses to read one; large documents do not belong on the bus.
- **Signatures.** Ed25519 (`cryptography`) over the canonical bytes of the event without its
  `signature` field; `key_id` names the source body's key registered by
  `SigningKeyRegistered`. The signature is base64url (86 characters and `==`).
- **Identifiers.** Bodies, regions, units, cadres, clues and records are named by lower-case
  identifiers: `^[a-z0-9][a-z0-9_-]{{0,63}}$`.
- **Versions.** Every event type carries `schema_version`. The JSON Schema of each type and
  version is committed in `schemas/json/<EventType>.v<N>.json`. A change the current reader
  could not read old events with (as a schema registry in `BACKWARD_TRANSITIVE` mode would
  refuse it) fails the tests unless the version is bumped and an upcaster from the old
  version is registered in `schemas/upcasting.py`; older events are upcast when read.
- **Publishers.** Only bodies of the kinds listed may publish an event type, each on its own
  ingest topic. Events with no publishers are derived by the bus itself.
"""


def render_catalogue(groups: Mapping[str, tuple[type[Payload], ...]]) -> str:
    """The whole document, for the events in ``groups`` (heading to event classes)."""
    events = [cls for group in groups.values() for cls in group]
    parts = [_PREAMBLE, _refusals(), _contents(groups), _envelope(events[0]), _types()]
    parts.append(_vocabularies(events))
    for heading, group in groups.items():
        parts.append(f"## {heading}\n")
        parts.extend(_event(cls) for cls in group)
    return "\n".join(parts).rstrip("\n") + "\n"


def _refusals() -> str:
    rows = [f"| `{exc.reason}` | `{exc.__name__}` | {inspect.getdoc(exc)} |" for exc in _REFUSALS]
    return "\n".join(
        [
            "## Refusals\n",
            "A refused event names the event type, the field path, what was expected and what",
            "came, e.g. `ProblemClueReceived v1: payload.cadre_id: String should match pattern",
            "'^[a-z0-9][a-z0-9_-]{0,63}$', got 'Zhang San'`.\n",
            "| reason | exception | when |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )


def _contents(groups: Mapping[str, tuple[type[Payload], ...]]) -> str:
    lines = [
        "## Contents\n",
        "- [The envelope](#the-envelope)",
        "- [Field types](#field-types)",
        "- [Vocabularies](#vocabularies)",
    ]
    for heading, group in groups.items():
        lines.append(f"- [{heading}](#{_anchor(heading)})")
        lines.extend(f"  - [{cls.event_type}](#{_anchor(cls.event_type)})" for cls in group)
    return "\n".join(lines) + "\n"


def _envelope(example: type[Payload]) -> str:
    schema = event_schema(example)
    for name in ("event_type", "schema_version"):
        schema["properties"][name].pop("const")
    lines = ["## The envelope\n", "Every event has these; `payload` holds its own fields.\n"]
    lines.extend(_fields(schema, schema, skip=_ENVELOPE_SKIP))
    lines.extend(_nested(schema, "Subject"))
    return "\n".join(lines)


def _types() -> str:
    lines = ["## Field types\n", "| type | JSON | description |", "|---|---|---|"]
    for name, alias in _TYPES.items():
        schema = TypeAdapter(alias).json_schema()
        lines.append(f"| {name} | {_constraint(schema)} | {_describe(schema)} |")
    return "\n".join([*lines, ""])


def _constraint(schema: Schema) -> str:
    if "pattern" in schema:
        return f"string matching `{schema['pattern']}`"
    if "format" in schema:
        return f"string, format `{schema['format']}`"
    return f"string of {schema['minLength']}–{schema['maxLength']} characters"


def _vocabularies(events: list[type[Payload]]) -> str:
    lines = ["## Vocabularies\n"]
    for vocabulary in VOCABULARIES:
        lines.append(f"### {vocabulary.__name__}\n")
        doc = vocabulary.__dict__.get("__doc__")
        if doc:
            lines.append(f"{inspect.cleandoc(doc)}\n")
        if issubclass(vocabulary, LabelledEnum):
            lines += ["| value | 中文 | English |", "|---|---|---|"]
            lines += [f"| `{m.value}` | {m.label_zh} | {m.label_en} |" for m in vocabulary]
        else:
            lines += ["| value |", "|---|", *(f"| `{m.value}` |" for m in vocabulary)]
        lines.append("")
    _require_documented(events)
    return "\n".join(lines)


def _require_documented(events: list[type[Payload]]) -> None:
    named = {v.__name__ for v in VOCABULARIES}
    for cls in events:
        for name, definition in event_schema(cls).get("$defs", {}).items():
            if "enum" in definition and name not in named:
                raise ValueError(f"enumeration {name} is not in schemas.docs.VOCABULARIES")


def _event(cls: type[Payload]) -> str:
    schema = event_schema(cls)
    name = cls.event_type
    lines = [
        f"### {name}\n",
        f"{inspect.getdoc(cls)}\n",
        f"- **Schema version:** {cls.schema_version}"
        f" ([`schemas/json/{file_name(name, cls.schema_version)}`]"
        f"(../schemas/json/{file_name(name, cls.schema_version)}))",
        f"- **Published by:** {_publishers(cls)}",
        f"- **Received by:** {cls.receivers or 'nobody'}\n",
    ]
    payload = schema["$defs"][name]
    if payload.get("properties"):
        lines.extend(_fields(payload, schema))
    else:
        lines.append("No fields.\n")
    for nested in _nested_models(payload, schema):
        lines.extend(_nested(schema, nested))
    return "\n".join(lines)


def _publishers(cls: type[Payload]) -> str:
    if not cls.publishers:
        return "only the bus itself (derived, or its clock); no body may publish it"
    kinds = [kind for kind in BodyKind if kind in cls.publishers]
    return ", ".join(f"`{kind.value}` ({kind.label_zh})" for kind in kinds)


def _nested_models(model: Schema, root: Schema) -> Iterator[str]:
    seen: list[str] = []
    for prop in model.get("properties", {}).values():
        for ref in re.findall(r"'\$ref': '#/\$defs/(\w+)'", repr(prop)):
            if "properties" in root["$defs"][ref] and ref not in seen:
                seen.append(ref)
    yield from seen


def _nested(root: Schema, name: str) -> list[str]:
    model = root["$defs"][name]
    return [f"**{name}**: {model.get('description', '')}\n", *_fields(model, root)]


def _fields(model: Schema, root: Schema, skip: tuple[str, ...] = ()) -> list[str]:
    required = set(model.get("required", ()))
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in model["properties"].items():
        if name in skip:
            continue
        need = "yes" if name in required else f"no (default `{_json(prop.get('default'))}`)"
        lines.append(f"| `{name}` | {_type(prop, root)} | {need} | {_describe(prop)} |")
    return [*lines, ""]


def _type(prop: Schema, root: Schema) -> str:
    if "$ref" in prop:
        target = prop["$ref"].rsplit("/", 1)[1]
        if "enum" in root["$defs"][target]:
            return f"[{target}](#{_anchor(target)})"
        return f"{target} (below)"
    if "const" in prop:
        return f"`{_json(prop['const'])}`"
    if "anyOf" in prop:
        return " or ".join(_type(branch, root) for branch in prop["anyOf"])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop['items'], root)}{_range(prop, 'minItems', 'maxItems')}"
    if kind == "string":
        return _string_type(prop)
    if kind == "integer":
        return f"integer{_range(prop, 'minimum', 'maximum')}"
    return str(kind)


def _string_type(prop: Schema) -> str:
    if prop.get("format") == "uuid":
        return "UUID"
    title = prop.get("title", "")
    return title if title in _TYPE_NAMES else "string"


def _range(prop: Schema, low: str, high: str) -> str:
    if low in prop and high in prop:
        return f" ({prop[low]}–{prop[high]})"
    if low in prop:
        return f" (at least {prop[low]})"
    if high in prop:
        return f" (at most {prop[high]})"
    return ""


def _describe(prop: Schema) -> str:
    text = prop.get("description") or next(
        (b.get("description") for b in prop.get("anyOf", ()) if b.get("description")), ""
    )
    return str(text).replace("|", "\\|").replace("\n", " ")


def _json(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[]" if not value else repr(list(value))
    return str(value)


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")
