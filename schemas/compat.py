"""Whether today's reader still reads every event older writers wrote (BACKWARD_TRANSITIVE)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from schemas.envelope import Payload
from schemas.registry import JSON_DIR, Schema, committed, event_schema, file_name
from schemas.upcasting import Upcaster

_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "$comment", "$id", "$schema", "$defs", "protected"}
)
"""Keywords that do not constrain data (``protected`` marks a field the SDK seals)."""
_UNDERSTOOD = frozenset(
    {
        "$ref", "anyOf", "type", "enum", "const",
        "properties", "required", "additionalProperties",
        "items", "prefixItems", "minItems", "maxItems", "uniqueItems",
        "pattern", "format", "minLength", "maxLength",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    }
)  # fmt: skip
_Refs = frozenset[tuple[str | None, str | None]]


def incompatibilities(reader: Schema, writer: Schema) -> list[str]:
    """Why data valid under ``writer`` may be refused by ``reader``; empty if all of it reads."""
    return list(_Comparison(reader, writer).compare(reader, writer, "", frozenset()))


def check_catalogue(
    event_types: Mapping[str, type[Payload]],
    upcasters: Mapping[tuple[str, int], Upcaster],
    directory: Path = JSON_DIR,
) -> list[str]:
    """Every reason the catalogue cannot read all committed versions; empty when it can."""
    problems: list[str] = []
    versions: dict[str, list[int]] = {}
    for (name, version), schema in committed(directory).items():
        versions.setdefault(name, []).append(version)
        cls = event_types.get(name)
        if cls is None:
            problems.append(
                f"{name} v{version}: committed but gone from the catalogue; its events on the"
                " log could no longer be read (keep the type)"
            )
        elif version > cls.schema_version:
            problems.append(
                f"{name} v{version}: committed, but the model is at schema_version"
                f" {cls.schema_version}; versions only go up"
            )
        elif version == cls.schema_version:
            problems.extend(_same_version(cls, schema))
    for name, found in versions.items():
        cls = event_types.get(name)
        current = cls.schema_version if cls else 0
        problems.extend(
            f"{name} v{version}: no upcaster to v{version + 1}; register"
            f" UPCASTERS[({name!r}, {version})] in schemas/upcasting.py"
            for version in range(min(found), current)
            if (name, version) not in upcasters
        )
    return problems


def _same_version(cls: type[Payload], old: Schema) -> list[str]:
    name, version = cls.event_type, cls.schema_version
    found = incompatibilities(event_schema(cls), old)
    if not found:
        return []
    fix = (
        f"{name} v{version}: not backward compatible with schemas/json/"
        f"{file_name(name, version)}; keep the change compatible, or bump {name}.schema_version"
        f" to {version + 1} and register UPCASTERS[({name!r}, {version})] in schemas/upcasting.py"
    )
    return [f"{name} v{version}: {problem}" for problem in found] + [fix]


class _Comparison:
    """One reader schema against one writer schema, each resolving its own $defs."""

    def __init__(self, reader: Schema, writer: Schema):
        self._defs = (reader.get("$defs", {}), writer.get("$defs", {}))

    def compare(self, r: Schema, w: Schema, path: str, refs: _Refs) -> Iterator[str]:
        pair = (r.get("$ref"), w.get("$ref"))
        if pair != (None, None):
            if pair in refs:
                return
            refs = refs | {pair}
        r, w = self._resolve(r, 0), self._resolve(w, 1)
        if "anyOf" in w:
            for branch in _branches(w):
                yield from self.compare(r, branch, path, refs)
        elif "anyOf" in r:
            yield from self._some_branch(_branches(r), w, path, refs)
        else:
            yield from self._same_kind(r, w, path, refs)

    def _resolve(self, schema: Schema, side: int) -> Schema:
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {ref!r}: only #/$defs/... is understood")
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**self._defs[side][ref.removeprefix("#/$defs/")], **rest}
        return schema

    def _some_branch(self, options: list[Schema], w: Schema, path: str, refs: _Refs) -> Iterator[str]:
        attempts = [list(self.compare(option, w, path, refs)) for option in options]
        if any(not problems for problems in attempts):
            return
        typed = [p for option, p in zip(options, attempts, strict=True) if _overlaps(option, w)]
        yield from typed[0] if len(typed) == 1 else [f"{_at(path)}: {_show(w)} no longer accepted"]

    def _same_kind(self, r: Schema, w: Schema, path: str, refs: _Refs) -> Iterator[str]:
        for keyword in sorted(set(r) - _ANNOTATIONS - _UNDERSTOOD):
            if w.get(keyword) != r[keyword]:
                yield f"{_at(path)}: keyword {keyword!r} added or changed; old data may fail it"
        if "const" in w or "enum" in w:
            for value in [w["const"]] if "const" in w else w["enum"]:
                refusal = _refuses(r, value)
                if refusal:
                    yield f"{_at(path)}: value {value!r} {refusal}; older events may hold it"
            return
        if "const" in r or "enum" in r:
            yield f"{_at(path)}: now limited to {_allowed(r)}; older events may hold other values"
            return
        r_types, w_types = _types(r), _types(w)
        lost = sorted(t for t in (w_types or {"any"}) if not _accepts_type(r_types, t))
        if lost:
            yield f"{_at(path)}: type changed from {_names(w_types)} to {_names(r_types)}"
            return
        yield from _string(r, w, path)
        yield from _number(r, w, path)
        yield from self._array(r, w, path, refs)
        yield from self._object(r, w, path, refs)

    def _array(self, r: Schema, w: Schema, path: str, refs: _Refs) -> Iterator[str]:
        yield from _bounds(r, w, path, "minItems", "maxItems", "items")
        if r.get("uniqueItems") and not w.get("uniqueItems"):
            yield f"{_at(path)}: items must now be unique"
        if "items" in r:
            yield from self.compare(r["items"], w.get("items", {}), f"{path}[]", refs)
        r_prefix, w_prefix = r.get("prefixItems", []), w.get("prefixItems", [])
        if len(r_prefix) != len(w_prefix) and r_prefix:
            yield f"{_at(path)}: tuple length changed from {len(w_prefix)} to {len(r_prefix)}"
        for index, (ri, wi) in enumerate(zip(r_prefix, w_prefix, strict=False)):
            yield from self.compare(ri, wi, f"{path}[{index}]", refs)

    def _object(self, r: Schema, w: Schema, path: str, refs: _Refs) -> Iterator[str]:
        r_props, w_props = r.get("properties", {}), w.get("properties", {})
        r_required, w_required = set(r.get("required", ())), set(w.get("required", ()))
        closed = r.get("additionalProperties") is False
        if closed and w.get("additionalProperties") is not False:
            yield f"{_at(path)}: unknown fields are now refused; older events may carry some"
        for name, w_prop in w_props.items():
            where = f"{path}.{name}" if path else name
            if name in r_props:
                yield from self.compare(r_props[name], w_prop, where, refs)
                yield from _default_kept(r_props[name], w_prop, where, name in w_required)
            elif closed:
                yield f"{where}: field removed or renamed; older events carry it"
        for name in sorted(r_required - w_required):
            where = f"{path}.{name}" if path else name
            if name in w_props:
                yield f"{where}: field became required; older events may lack it"
            else:
                yield f"{where}: new required field without a default; older events lack it"


def _branches(schema: Schema) -> list[Schema]:
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return [{**rest, **branch} for branch in schema["anyOf"]]


def _default_kept(r: Schema, w: Schema, path: str, was_required: bool) -> Iterator[str]:
    if not was_required and "default" in w and r.get("default", w["default"]) != w["default"]:
        yield (
            f"{path}: default changed from {w['default']!r} to {r.get('default')!r};"
            " older events that left it out would read differently"
        )


def _string(r: Schema, w: Schema, path: str) -> Iterator[str]:
    for keyword in ("pattern", "format"):
        if keyword in r and r[keyword] != w.get(keyword):
            yield f"{_at(path)}: {keyword} changed from {w.get(keyword)!r} to {r[keyword]!r}"
    yield from _bounds(r, w, path, "minLength", "maxLength", "characters")


def _number(r: Schema, w: Schema, path: str) -> Iterator[str]:
    if _lower(r) > _lower(w):
        yield f"{_at(path)}: lower bound raised from {_lower(w)[0]} to {_lower(r)[0]}"
    if _upper(r) < _upper(w):
        yield f"{_at(path)}: upper bound lowered from {_upper(w)[0]} to {_upper(r)[0]}"
    step = r.get("multipleOf")
    if step is not None and (w.get("multipleOf") is None or w["multipleOf"] % step != 0):
        yield f"{_at(path)}: must now be a multiple of {step}"


def _bounds(r: Schema, w: Schema, path: str, low: str, high: str, unit: str) -> Iterator[str]:
    if r.get(low, 0) > w.get(low, 0):
        yield f"{_at(path)}: at least {r[low]} {unit} now, was {w.get(low, 0)}"
    if r.get(high, math.inf) < w.get(high, math.inf):
        yield f"{_at(path)}: at most {r[high]} {unit} now, was {w.get(high, 'unlimited')}"


def _lower(s: Schema) -> tuple[float, bool]:
    """The lower bound and whether it is exclusive; exclusive sorts above inclusive."""
    bounds = [(-math.inf, False)]
    if "minimum" in s:
        bounds.append((s["minimum"], False))
    if "exclusiveMinimum" in s:
        bounds.append((s["exclusiveMinimum"], True))
    return max(bounds)


def _upper(s: Schema) -> tuple[float, bool]:
    """The upper bound and whether it is inclusive; inclusive sorts above exclusive."""
    bounds = [(math.inf, True)]
    if "maximum" in s:
        bounds.append((s["maximum"], True))
    if "exclusiveMaximum" in s:
        bounds.append((s["exclusiveMaximum"], False))
    return min(bounds)


def _types(s: Schema) -> set[str] | None:
    kind = s.get("type")
    if kind is None:
        return None
    return {kind} if isinstance(kind, str) else set(kind)


def _accepts_type(types: set[str] | None, kind: str) -> bool:
    return types is None or kind in types or (kind == "integer" and "number" in types)


def _overlaps(r: Schema, w: Schema) -> bool:
    r_types, w_types = _types(r), _types(w)
    return r_types is None or w_types is None or bool(r_types & w_types)


def _refuses(r: Schema, value: Any) -> str | None:
    """Why ``r`` (resolved) refuses ``value``, for the scalar values of enums and consts."""
    if "anyOf" in r:
        reasons = [_refuses(branch, value) for branch in _branches(r)]
        return None if None in reasons else "is no longer accepted"
    if "const" in r and r["const"] != value:
        return f"is no longer accepted (only {r['const']!r} is)"
    if "enum" in r and value not in r["enum"]:
        return "was removed from the enumeration"
    if not _accepts_type(_types(r), _json_type(value)):
        return f"is no longer of an accepted type ({_names(_types(r))})"
    if isinstance(value, str):
        if "pattern" in r and not re.search(r["pattern"], value):
            return f"no longer matches pattern {r['pattern']!r}"
        if not r.get("minLength", 0) <= len(value) <= r.get("maxLength", math.inf):
            return "no longer has an accepted length"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and ((value, False) < _lower(r) or (value, True) > _upper(r)):
        return "is now out of range"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed(r: Schema) -> str:
    return repr(r["const"]) if "const" in r else ", ".join(repr(v) for v in r["enum"])


def _names(types: set[str] | None) -> str:
    return " or ".join(sorted(types)) if types else "anything"


def _show(w: Schema) -> str:
    return _names(_types(w)) if "enum" not in w else f"one of {_allowed(w)}"


def _at(path: str) -> str:
    return path or "(event)"
