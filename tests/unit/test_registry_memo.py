"""Jurisdiction lookups are remembered by the registry, and forgotten when its reference data changes."""

from __future__ import annotations

from schemas.enums import JurisdictionRole
from schemas.events.reference import JurisdictionAssigned
from streams import jurisdiction as j
from streams.testing import REGISTRAR, demo_bench, event


def test_a_remembered_lookup_is_a_copy_each_caller_may_change() -> None:
    registry = demo_bench().registry
    first = j.stationed_agencies(registry, "yuzhong-hospital")
    first.append("someone-else")
    assert j.stationed_agencies(registry, "yuzhong-hospital") == ["yuzhong-stationed-health"]


def test_a_new_reference_fact_is_seen_by_the_next_lookup() -> None:
    registry = demo_bench().registry
    assert j.stationed_agencies(registry, "city-education") == ["stationed-education"]
    assigned = JurisdictionAssigned(
        body_id="yuzhong-stationed-health", role=JurisdictionRole.STATIONED, unit_ids=("city-education",)
    )
    assert registry.apply(event(assigned, REGISTRAR))
    assert j.stationed_agencies(registry, "city-education") == [
        "stationed-education",
        "yuzhong-stationed-health",
    ]


def test_lookups_naming_ever_more_cadres_are_not_all_remembered(monkeypatch) -> None:
    """A clue names its cadre, and the bus sees ever more of them: the memo must not grow with them."""
    monkeypatch.setattr("streams.registry.MEMO_SIZE", 50)
    registry = demo_bench().registry
    holders = {j.clue_holder(registry, "yuzhong-hospital", f"cadre-{n}") for n in range(200)}
    assert holders == {j.clue_holder(registry, "yuzhong-hospital", None)}
    assert len(registry._memo) <= 50
