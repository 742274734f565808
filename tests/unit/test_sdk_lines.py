"""Lines of a bulk file become drafts of events, or refusals that say what is wrong."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from producers import EventRefused
from producers.lines import draft_of, read_lines
from schemas.enums import Classification, SubjectKind
from schemas.events.clues import ProblemClueReceived
from schemas.events.rectification import RectificationRequired

CLUE = {
    "event_type": "ProblemClueReceived",
    "occurred_at": "2026-03-02T17:30:00+08:00",
    "classification": "confidential",
    "payload": {
        "clue_id": "clue-9",
        "unit_id": "city-bank",
        "cadre_id": "cadre-zhao",
        "summary": "Kickbacks.",
    },
}


def test_a_json_line_becomes_a_draft_with_its_envelope_options():
    draft = draft_of(CLUE, body_id="city-letters")
    assert isinstance(draft.payload, ProblemClueReceived)
    assert draft.options.occurred_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert draft.options.classification is Classification.CONFIDENTIAL
    assert draft.options.subject is None  # the publisher takes it from the payload


def test_the_same_line_gets_the_same_event_id_so_a_rerun_publishes_nothing_twice():
    first = draft_of(CLUE, body_id="city-letters").options.event_id
    assert draft_of(dict(CLUE), body_id="city-letters").options.event_id == first
    assert draft_of(CLUE, body_id="yuzhong-letters").options.event_id != first
    given = str(uuid.uuid4())
    assert str(draft_of({**CLUE, "event_id": given}, body_id="city-letters").options.event_id) == given


def test_a_refused_line_lists_every_problem_with_its_path():
    line = {**CLUE, "occurred_at": "2026-03-02 17:30", "payload": {**CLUE["payload"], "unit_id": "City Bank"}}
    line["colour"] = "red"
    with pytest.raises(EventRefused) as refused:
        draft_of(line, body_id="city-letters")
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == ["payload.unit_id", "occurred_at", "colour"]
    assert refused.value.reason == "invalid"


@pytest.mark.parametrize(
    ("line", "reason", "words"),
    [
        ({**CLUE, "event_type": "ClueWhispered"}, "unknown_type", "'ClueWhispered' is not in the catalogue"),
        ({k: v for k, v in CLUE.items() if k != "payload"}, "invalid", "payload: expected a JSON object"),
        (
            {k: v for k, v in CLUE.items() if k != "occurred_at"},
            "invalid",
            "occurred_at: required field is missing",
        ),
    ],
)
def test_lines_missing_what_an_event_needs_are_refused(line, reason, words):
    with pytest.raises(EventRefused) as refused:
        draft_of(line, body_id="city-letters")
    assert refused.value.reason == reason
    assert words in str(refused.value)


def test_csv_rows_take_envelope_columns_and_read_json_cells(tmp_path: Path):
    path = tmp_path / "rectifications.csv"
    header = "event_type,occurred_at,subject_kind,subject_id,rectification_id,unit_id,description,deadline"
    common = "RectificationRequired,2026-03-02T09:00:00Z"
    rows = [
        header + ",supervising_bodies",
        common + ',unit,city-bank,rect-1,city-bank,Fix it,2026-06-30T00:00:00Z,"[""city-commission""]"',
        "",
        common + ",,,rect-2,city-bank,Fix it,2026-06-30T00:00:00Z,[],extra",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = list(read_lines(path))
    assert [line.number for line in lines] == [2, 4]
    assert lines[1].error == "more cells than the header has columns"
    draft = draft_of(lines[0].record, body_id="city-supervision-1")
    assert isinstance(draft.payload, RectificationRequired)
    assert draft.payload.supervising_bodies == ("city-commission",)
    assert draft.options.subject is not None and draft.options.subject.kind is SubjectKind.UNIT


def test_json_lines_are_numbered_as_in_the_file_and_bad_json_is_reported(tmp_path: Path):
    path = tmp_path / "clues.jsonl"
    path.write_text(json.dumps(CLUE) + "\n\n{oops\n[1, 2]\n", encoding="utf-8")
    lines = list(read_lines(path))
    assert [(line.number, line.error is None) for line in lines] == [(1, True), (3, False), (4, False)]
    assert "not valid JSON" in (lines[1].error or "")
    assert lines[2].error == "expected a JSON object, got list"
