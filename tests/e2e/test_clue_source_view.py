"""The body that received a report and published the clue sees the informant it wrote, in its inbox
and through the read API; the holder it goes to does not, case management does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from projections import tokens
from projections.versions import SCHEMA_VERSION
from schemas.enums import Classification
from schemas.events.clues import Informant
from streams.testing import clue

pytestmark = pytest.mark.e2e

SOURCE = "yuzhong-commission"  # a district commission, neither letters-and-visits nor case management


def _clue_row(rows):
    [row] = [r for r in rows if r["event_type"] == "ProblemClueReceived"]
    return row


def test_the_source_of_a_clue_sees_its_own_informant(running_bus):
    bus = running_bus.start()
    received = clue(
        "cadre-qian",  # municipal-managed: the clue goes to the city commission
        "yuzhong-hospital",
        SOURCE,
        clue_id="clue-src-1",
        informant=Informant(name="B. Citizen", contact="+86 23 1111 1111"),
        at=datetime.now(UTC) - timedelta(hours=1),
        classification=Classification.CONFIDENTIAL,
    )
    bus.publish(SOURCE, received)
    bus.wait_until(
        lambda: any(r["event_type"] == "ClueTransferred" for r in bus.inbox("city-commission")),
        90,
        "the clue and its transfer in the holder's inbox",
    )
    bus.wait_until(lambda: len(bus.inbox(SOURCE)) >= 1 and bus.inbox("city-case-mgmt"), 60, "the deliveries")

    own = _clue_row(bus.inbox(SOURCE))
    assert "source" in own["reasons"].split(",")
    assert own["redacted"] == ""
    assert "B. Citizen" not in own["payload"]  # sealed by the SDK, for the source among others
    assert bus.opened(SOURCE, own)["informant"] == {"name": "B. Citizen", "contact": "+86 23 1111 1111"}
    holder = _clue_row(bus.inbox("city-commission"))
    assert holder["redacted"] == "payload.informant" and "B. Citizen" not in holder["payload"]
    register = _clue_row(bus.inbox("city-case-mgmt"))
    assert json.loads(register["payload"])["informant"]["sealed"]
    assert bus.opened("city-case-mgmt", register)["informant"]["name"] == "B. Citizen"

    store = bus.container.read_store
    bus.wait_until(lambda: store.live_version() == SCHEMA_VERSION, 60, "the read models to go live")
    client = TestClient(bus.container.read_api())

    def inbox_as(body_id):
        headers = {"Authorization": f"Bearer {tokens.issue(bus.container.identity.engine, body_id)}"}
        response = client.get(f"/bodies/{body_id}/inbox", headers=headers)
        assert response.status_code == 200, response.text
        return _clue_row(response.json())

    mine = inbox_as(SOURCE)
    assert mine["redacted"] == []
    assert mine["payload"]["informant"]["name"] == "B. Citizen"
    theirs = inbox_as("city-commission")
    assert theirs["redacted"] == ["payload.informant"] and theirs["payload"]["informant"] is None
