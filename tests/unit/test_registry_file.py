"""A registry file is checked whole: every problem, with its place in the file and the rule it breaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fourfold.registrar import DEMO_REGISTRY, RegistryInvalid, check_registry, load_registry_file

ID_RULE = "must be an identifier: 1 to 64 characters, each a lower-case letter a-z, a digit 0-9, '_' or '-'"


def _messages(data: object) -> list[str]:
    return [str(p) for p in check_registry(data)]


def test_the_demo_registry_has_no_problem() -> None:
    assert load_registry_file(DEMO_REGISTRY)["bodies"]


def test_every_problem_is_named_with_its_place_field_and_rule() -> None:
    data = {
        "regions": [{"region_id": "City", "name": "Municipality"}],
        "bodies": [
            {"body_id": "City Office", "name": "An office", "kind": "boss", "region_id": "city"},
            {"body_id": "ok-office", "name": "", "kind": "commission", "region_id": "city"},
            {"body_id": "ok-office", "name": "Again", "kind": "commission", "region_id": "city"},
        ],
        "units": [
            {
                "unit_id": "u-1",
                "name": "A school",
                "region_id": "city",
                "level": "district",
                "sector": "Health",
            },
            "not an object",
        ],
        "cadres": [{"cadre_id": "c-1", "name": "Qian", "unit_id": "u-1"}],
        "jurisdictions": [{"body_id": "ok-office", "role": "territorial", "region_ids": ["city", "Bad!"]}],
    }
    messages = _messages(data)
    assert messages == [
        f"regions[0] ('City'): region_id: {ID_RULE}, the first a letter or digit; got 'City'",
        f"bodies[0] ('City Office'): body_id: {ID_RULE}, the first a letter or digit; got 'City Office'",
        messages[2],
        "bodies[1] ('ok-office'): name: String should have at least 1 character; got ''",
        "bodies[2] ('ok-office'): body_id: 'ok-office' is already in bodies[1]",
        "units[0] ('u-1'): sector: must be a sector: 1 to 40 characters, each a lower-case letter a-z or '_',"
        " the first a letter; got 'Health'",
        "units[1]: must be a JSON object",
        "cadres[0] ('c-1'): management_level: is required",
        f"jurisdictions[0] ('ok-office'): region_ids[1]: {ID_RULE}, the first a letter or digit; got 'Bad!'",
    ]
    assert messages[2].startswith("bodies[0] ('City Office'): kind: must be one of 'commission',")
    assert messages[2].endswith("; got 'boss'")


def test_the_file_shape_is_checked_too() -> None:
    assert _messages([]) == [
        "the file: must be a JSON object with the sections regions, bodies, units, cadres, jurisdictions"
    ]
    assert _messages({"people": [], "bodies": {}}) == [
        "section 'people': is not a registry section; the sections are regions, bodies, units, cadres,"
        " jurisdictions",
        "section 'bodies': must be a list of entries",
    ]
    assert _messages({"regions": [{"region_id": "city", "name": "City", "parent": "x"}]}) == [
        "regions[0] ('city'): parent: is not a field here; the fields are region_id, name, parent_region_id"
    ]


def test_a_second_jurisdiction_of_one_body_and_role_is_a_problem() -> None:
    entry = {"body_id": "office", "role": "contact_area", "unit_ids": ["u-1"]}
    assert _messages({"jurisdictions": [entry, {**entry, "role": "stationed"}, entry]}) == [
        "jurisdictions[2] ('office'): body_id: the contact_area jurisdiction of 'office' is already in"
        " jurisdictions[0]"
    ]


def test_a_file_that_is_not_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text('{"regions": [\n  {"region_id": "city",}\n]}', encoding="utf-8")
    with pytest.raises(RegistryInvalid) as raised:
        load_registry_file(path)
    [problem] = raised.value.problems
    assert str(problem).startswith("the file: is not JSON: ") and "line 2" in str(problem)


def test_load_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"regions": [{"region_id": "A"}, {"region_id": "B", "name": "b"}]}), "utf-8")
    with pytest.raises(RegistryInvalid) as raised:
        load_registry_file(path)
    assert [p.place for p in raised.value.problems] == [
        "regions[0] ('A')",
        "regions[0] ('A')",
        "regions[1] ('B')",
    ]
    assert "3 problem(s)" in str(raised.value)
