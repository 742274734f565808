"""The committed JSON Schemas and docs/events.md are what the models give today."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas import EVENT_TYPES
from schemas.categories import FindingCategory
from schemas.codec import MAX_EVENT_BYTES
from schemas.export import DOCS_FILE, expected_files, main, stale_files
from schemas.registry import JSON_DIR, committed, event_schema, file_name


def test_the_export_and_the_catalogue_document_are_up_to_date() -> None:
    stale = stale_files(expected_files())

    assert stale == [], "out of date; run: .venv/bin/python -m schemas.export"


def test_check_mode_exits_non_zero_when_out_of_date(tmp_path: Path) -> None:
    docs = tmp_path / "events.md"

    assert main(["--check", "--json-dir", str(tmp_path), "--docs", str(docs)]) == 1
    assert not docs.exists()


def test_writing_then_checking_succeeds(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "events.md"
    arguments = ["--json-dir", str(tmp_path), "--docs", str(docs)]

    assert main(arguments) == 0
    assert main(["--check", *arguments]) == 0
    assert len(list(tmp_path.glob("*.v1.json"))) == len(EVENT_TYPES)


def test_there_is_one_committed_file_per_event_type_at_its_version() -> None:
    names = {file_name(cls.event_type, cls.schema_version) for cls in EVENT_TYPES.values()}

    assert names <= {path.name for path in JSON_DIR.glob("*.json")}


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_committed_schema_names_its_type_and_version(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    schema = committed()[(event_type, cls.schema_version)]

    assert schema["properties"]["event_type"]["const"] == event_type
    assert schema["properties"]["schema_version"]["const"] == cls.schema_version
    assert schema == event_schema(cls)


def test_the_document_lists_every_event_with_publishers_and_receivers() -> None:
    text = DOCS_FILE.read_text(encoding="utf-8")

    for event_type, cls in EVENT_TYPES.items():
        section = text.split(f"### {event_type}\n", 1)[1].split("\n### ", 1)[0]
        assert f"**Schema version:** {cls.schema_version}" in section
        assert f"**Received by:** {cls.receivers}" in section
        assert all(f"`{kind.value}`" in section for kind in cls.publishers)
        assert all(f"| `{field}` |" in section for field in cls.model_fields)


def test_the_document_has_the_category_labels_and_the_size_limit() -> None:
    text = DOCS_FILE.read_text(encoding="utf-8")

    for category in FindingCategory:
        assert f"| `{category.value}` | {category.label_zh} | {category.label_en} |" in text
    assert f"{MAX_EVENT_BYTES:,} bytes (64 KiB)" in text
