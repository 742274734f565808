"""Issue 11, defect 1: any body that may receive clues records one about any cadre; the router then
transfers it to the body with jurisdiction, and the receiver keeps a read-only record."""

from __future__ import annotations

import json

import pytest

from fourfold.demo import commission_clue
from projections.audit import custody

pytestmark = pytest.mark.e2e


def test_a_district_commission_passes_a_municipal_cadre_s_clue_up(running_bus):
    bus = running_bus.start()
    item = commission_clue()
    bus.publish(item.body_id, item.event)

    def chain() -> list[dict]:
        with bus.container.engine.connect() as conn:
            return custody(conn, item.event.payload.clue_id)

    bus.wait_until(lambda: len(chain()) == 2, 60, "the clue and its transfer up")
    assert [(s["holder"], s["from_body"], s["via"]) for s in chain()] == [
        ("yuzhong-commission", None, "ProblemClueReceived"),
        ("city-commission", "yuzhong-commission", "ClueTransferred"),
    ]
    assert bus.records(bus.container.topics.quarantine) == []
    bus.wait_until(lambda: len(bus.inbox("city-commission")) == 2, 60, "the city commission's inbox")
    [transfer] = [r for r in bus.inbox("city-commission") if r["event_type"] == "ClueTransferred"]
    assert (transfer["source_body"], transfer["reasons"]) == ("bus", "new_holder")
    assert json.loads(transfer["payload"])["to_body"] == "city-commission"
    kept = {r["event_type"]: r["reasons"] for r in bus.inbox("yuzhong-commission")}
    assert kept == {"ProblemClueReceived": "source", "ClueTransferred": "previous_holder"}
