"""The backward-compatibility gate: it passes today and is proven able to fail."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import Field

from schemas import EVENT_TYPES
from schemas.catalogue import envelope_for
from schemas.compat import check_catalogue, incompatibilities
from schemas.events.clues import ProblemClueReceived
from schemas.export import main
from schemas.registry import JSON_DIR, Schema, committed, event_schema, file_name
from schemas.testing import json_data
from schemas.upcasting import UPCASTERS, upcast

COMMITTED = committed()
CLUE = COMMITTED[("ProblemClueReceived", 1)]
PROGRESS = COMMITTED[("RectificationProgressReported", 1)]
PLAN = COMMITTED[("SupervisionPlanIssued", 1)]

Edit = Callable[[Schema], object]


def test_the_catalogue_reads_every_committed_version() -> None:
    assert check_catalogue(EVENT_TYPES, UPCASTERS) == []


OLDER = sorted(
    (name, version)
    for name, version in COMMITTED
    if name in EVENT_TYPES and version < EVENT_TYPES[name].schema_version
)


@pytest.mark.parametrize(("event_type", "version"), OLDER)
def test_any_event_of_an_older_committed_version_upcasts_to_a_valid_current_one(
    event_type: str, version: int
) -> None:
    reader = envelope_for(event_type)

    @settings(max_examples=25, deadline=None, database=None)
    @given(json_data(COMMITTED[(event_type, version)]))
    def upcasts(data: dict[str, Any]) -> None:
        reader.model_validate_json(json.dumps(upcast(event_type, data)))

    upcasts()


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_current_schema_reads_itself(event_type: str) -> None:
    schema = event_schema(EVENT_TYPES[event_type])

    assert incompatibilities(schema, copy.deepcopy(schema)) == []


def _reader(writer: Schema, edit: Edit) -> Schema:
    reader = copy.deepcopy(writer)
    edit(reader)
    return reader


def _payload(schema: Schema, name: str = "ProblemClueReceived") -> dict[str, Any]:
    result: dict[str, Any] = schema["$defs"][name]
    return result


def _prop(schema: Schema, field: str, name: str = "ProblemClueReceived") -> dict[str, Any]:
    result: dict[str, Any] = _payload(schema, name)["properties"][field]
    return result


def _add_required(s: Schema) -> None:
    _payload(s)["properties"]["urgency"] = {"type": "integer"}
    _payload(s)["required"].append("urgency")


def _rename(s: Schema) -> None:
    payload = _payload(s)
    payload["properties"]["account"] = payload["properties"].pop("summary")
    payload["required"] = ["account" if r == "summary" else r for r in payload["required"]]


INCOMPATIBLE: list[tuple[str, Schema, Edit, str]] = [
    ("new required field", CLUE, _add_required,
     "payload.urgency: new required field without a default"),
    ("optional field made required", CLUE, lambda s: _payload(s)["required"].append("cadre_id"),
     "payload.cadre_id: field became required"),
    ("field removed", CLUE, lambda s: _payload(s)["properties"].pop("informant"),
     "payload.informant: field removed or renamed"),
    ("field renamed", CLUE, _rename, "payload.summary: field removed or renamed"),
    ("type changed", CLUE, lambda s: _prop(s, "summary").update(type="integer"),
     "payload.summary: type changed from string to integer"),
    ("enumeration narrowed", CLUE, lambda s: s["$defs"]["SourceReliability"]["enum"].remove("C"),
     "payload.reliability: value 'C' was removed from the enumeration"),
    ("string made an enumeration", CLUE, lambda s: _prop(s, "summary").update(enum=["x"]),
     "payload.summary: now limited to 'x'"),
    ("maximum length lowered", CLUE, lambda s: _prop(s, "summary").update(maxLength=100),
     "payload.summary: at most 100 characters now, was 4000"),
    ("minimum length raised", CLUE, lambda s: _prop(s, "summary").update(minLength=10),
     "payload.summary: at least 10 characters now, was 1"),
    ("pattern changed", CLUE, lambda s: _prop(s, "clue_id").update(pattern="^c-[0-9]+$"),
     "payload.clue_id: pattern changed"),
    ("format added", CLUE, lambda s: _prop(s, "summary").update(format="email"),
     "payload.summary: format changed from None to 'email'"),
    ("null no longer accepted", CLUE, lambda s: _prop(s, "cadre_id")["anyOf"].pop(),
     "payload.cadre_id: null no longer accepted"),
    ("default changed", CLUE, lambda s: _prop(s, "reliability").update(default="A"),
     "payload.reliability: default changed from 'X' to 'A'"),
    ("keyword the checker cannot judge", CLUE, lambda s: _prop(s, "summary").update(not_={}),
     "keyword 'not_' added or changed"),
    ("upper bound lowered", PROGRESS, lambda s: _prop(
        s, "percent_complete", "RectificationProgressReported").update(maximum=50),
     "payload.percent_complete: upper bound lowered from 100 to 50"),
    ("lower bound raised", PROGRESS, lambda s: _prop(
        s, "percent_complete", "RectificationProgressReported").update(exclusiveMinimum=0),
     "payload.percent_complete: lower bound raised from 0 to 0"),
    ("fewer items allowed", PLAN, lambda s: _prop(
        s, "items", "SupervisionPlanIssued").update(maxItems=10),
     "payload.items: at most 10 items now, was 200"),
    ("nested field tightened", PLAN, lambda s: s["$defs"]["PlanItem"]["properties"][
        "content"].update(maxLength=10),
     "payload.items[].content: at most 10 characters now"),
    ("envelope field required", CLUE, lambda s: s["required"].append("key_id"),
     "key_id: field became required"),
    ("event type renamed", CLUE, lambda s: s["properties"]["event_type"].update(const="Clue"),
     "event_type: value 'ProblemClueReceived' is no longer accepted"),
    ("classification narrowed", CLUE, lambda s: s["$defs"]["Classification"]["enum"].pop(),
     "classification: value 'confidential' was removed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("writer", "edit", "expected"),
    [case[1:] for case in INCOMPATIBLE],
    ids=[case[0] for case in INCOMPATIBLE],
)
def test_an_incompatible_reader_is_refused(writer: Schema, edit: Edit, expected: str) -> None:
    problems = incompatibilities(_reader(writer, edit), writer)

    assert any(expected in problem for problem in problems), problems


def test_refusing_unknown_fields_that_were_allowed_is_refused() -> None:
    writer = _reader(CLUE, lambda s: _payload(s).update(additionalProperties=True))

    assert incompatibilities(CLUE, writer) == [
        "payload: unknown fields are now refused; older events may carry some"
    ]


COMPATIBLE: list[tuple[str, Edit]] = [
    ("optional field added", lambda s: _payload(s)["properties"].update(urgency={"type": "null"})),
    ("enumeration widened", lambda s: s["$defs"]["SourceReliability"]["enum"].append("D")),
    ("maximum length raised", lambda s: _prop(s, "summary").update(maxLength=8000)),
    ("minimum length dropped", lambda s: _prop(s, "summary").pop("minLength")),
    ("pattern dropped", lambda s: _prop(s, "clue_id").pop("pattern")),
    ("field made optional", lambda s: _payload(s)["required"].remove("summary")),
    ("null accepted too", lambda s: _prop(s, "summary").update(type=["string", "null"])),
    ("descriptions and titles", lambda s: _prop(s, "summary").update(title="T", description="D")),
    ("integer widened to number", lambda s: s["properties"]["schema_version"].update(
        type="number")),
]  # fmt: skip


@pytest.mark.parametrize("edit", [case[1] for case in COMPATIBLE], ids=[c[0] for c in COMPATIBLE])
def test_a_compatible_reader_passes(edit: Edit) -> None:
    assert incompatibilities(_reader(CLUE, edit), CLUE) == []


class ProblemClueReceivedWithUrgency(ProblemClueReceived):
    """ProblemClueReceived with a new required field: what a careless change looks like."""

    urgency: int = Field(ge=1, le=3)


ProblemClueReceivedWithUrgency.event_type = "ProblemClueReceived"


def _only(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(JSON_DIR / name, tmp_path / name)
    return tmp_path


def _catalogue(cls: type[ProblemClueReceived]) -> dict[str, type[ProblemClueReceived]]:
    return {"ProblemClueReceived": cls}


def test_a_model_change_without_a_version_bump_is_refused(tmp_path: Path) -> None:
    directory = _only(tmp_path, file_name("ProblemClueReceived", 1))

    problems = check_catalogue(_catalogue(ProblemClueReceivedWithUrgency), {}, directory)

    assert problems[0] == (
        "ProblemClueReceived v1: payload.urgency: new required field without a default; older events lack it"
    )
    assert "bump ProblemClueReceived.schema_version to 2" in problems[-1]


def test_a_version_bump_without_an_upcaster_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ProblemClueReceivedWithUrgency, "schema_version", 2)
    directory = _only(tmp_path, file_name("ProblemClueReceived", 1))

    assert check_catalogue(_catalogue(ProblemClueReceivedWithUrgency), {}, directory) == [
        "ProblemClueReceived v1: no upcaster to v2; register"
        " UPCASTERS[('ProblemClueReceived', 1)] in schemas/upcasting.py"
    ]


def test_a_version_bump_with_an_upcaster_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProblemClueReceivedWithUrgency, "schema_version", 2)
    directory = _only(tmp_path, file_name("ProblemClueReceived", 1))
    upcasters = {("ProblemClueReceived", 1): lambda data: data}

    assert check_catalogue(_catalogue(ProblemClueReceivedWithUrgency), upcasters, directory) == []


def test_every_older_version_needs_its_upcaster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProblemClueReceivedWithUrgency, "schema_version", 3)
    directory = _only(tmp_path, file_name("ProblemClueReceived", 1))
    upcasters = {("ProblemClueReceived", 2): lambda data: data}

    problems = check_catalogue(_catalogue(ProblemClueReceivedWithUrgency), upcasters, directory)

    assert [p.split(";")[0] for p in problems] == ["ProblemClueReceived v1: no upcaster to v2"]


def test_removing_an_event_type_is_refused(tmp_path: Path) -> None:
    directory = _only(tmp_path, file_name("ClueDisposed", 1))

    assert check_catalogue({}, {}, directory) == [
        "ClueDisposed v1: committed but gone from the catalogue; its events on the log could no"
        " longer be read (keep the type)"
    ]


def test_a_version_never_goes_back(tmp_path: Path) -> None:
    (tmp_path / file_name("ProblemClueReceived", 2)).write_text(
        (JSON_DIR / file_name("ProblemClueReceived", 1)).read_text(encoding="utf-8"),
        encoding="utf-8",
    )

    problems = check_catalogue(_catalogue(ProblemClueReceived), {}, tmp_path)

    assert "versions only go up" in problems[0]


def test_the_export_refuses_to_overwrite_an_incompatible_committed_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = file_name("ProblemClueReceived", 1)
    old = copy.deepcopy(CLUE)
    old["$defs"]["SourceReliability"]["enum"].append("D")
    (tmp_path / name).write_text(_dump(old), encoding="utf-8")
    docs = tmp_path / "events.md"

    assert main(["--json-dir", str(tmp_path), "--docs", str(docs)]) == 2
    assert "value 'D' was removed from the enumeration" in capsys.readouterr().err
    assert (tmp_path / name).read_text(encoding="utf-8") == _dump(old)
    assert not docs.exists()


def _dump(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
