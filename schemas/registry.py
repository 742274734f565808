"""The JSON Schema of each event type and version, and the copies committed in schemas/json/."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from schemas.envelope import Payload, envelope_class

JSON_DIR = Path(__file__).with_name("json")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_FILE = re.compile(r"^(?P<event_type>[A-Za-z][A-Za-z0-9]*)\.v(?P<version>[1-9][0-9]*)\.json$")

Schema = dict[str, Any]


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def event_schema(cls: type[Payload]) -> Schema:
    """What a reader of ``cls``'s current version accepts: the whole event, envelope included."""
    schema = envelope_class(cls).model_json_schema(mode="validation")
    properties = schema["properties"]
    properties["event_type"] = {**properties["event_type"], "const": cls.event_type}
    properties["schema_version"] = {**properties["schema_version"], "const": cls.schema_version}
    return {
        "$schema": DRAFT,
        "$id": file_name(cls.event_type, cls.schema_version),
        **schema,
        "title": f"{cls.event_type} v{cls.schema_version}",
        "description": inspect.getdoc(cls) or "",
    }


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def current_files(event_types: Mapping[str, type[Payload]]) -> dict[str, str]:
    """File name to text of the schema of every event type at its current version."""
    return {
        file_name(cls.event_type, cls.schema_version): render(event_schema(cls))
        for cls in event_types.values()
    }


def committed(directory: Path = JSON_DIR) -> dict[tuple[str, int], Schema]:
    """(event_type, version) to schema, for every file in ``directory``."""
    found: dict[tuple[str, int], Schema] = {}
    for path in sorted(directory.glob("*.json")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"{path}: not named <EventType>.v<version>.json")
        key = (match["event_type"], int(match["version"]))
        found[key] = json.loads(path.read_text(encoding="utf-8"))
    return found
