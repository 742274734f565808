"""A clue published through the SDK reaches the right inboxes; bad input is quarantined."""

from __future__ import annotations

import json
import uuid

import pytest

from fourfold.demo import forged, scenario
from producers import Publisher
from schemas import SigningKey, encode_event

pytestmark = pytest.mark.e2e


def without_key_directory(bus, body_id: str) -> Publisher:
    """``body_id``'s publisher as an SDK without the key directory has it: informants go in clear."""
    c = bus.container
    return Publisher(
        body_id,
        c.keys.load(body_id),
        bus.settings.bootstrap_servers,
        topics=c.topics,
        producer_config=c.access(body_id).security(),
        sequence=bus.settings.outbox_file,
    )


def test_clue_reaches_the_body_with_jurisdiction_and_bad_input_is_quarantined(make_bus, database_url):
    bus = make_bus(database_url).start()
    clue, district_clue = scenario()
    bus.send_raw("city-letters", b"\xff not json at all")
    bus.send_raw("city-letters", encode_event(forged(SigningKey.generate("city-letters:1"))))
    # signed by its source, but the informant in clear (an SDK without the key directory): refused
    in_clear = clue.event.model_copy(update={"event_id": uuid.uuid4()})
    with without_key_directory(bus, clue.body_id) as publisher:
        publisher.publish_event(in_clear)
    bus.publish(clue.body_id, clue.event)
    bus.publish(district_clue.body_id, district_clue.event)

    # each clue was received by a body without jurisdiction: it arrives, and so does its transfer
    bus.wait_until(lambda: len(bus.inbox("yuzhong-commission")) == 2, 60, "the district clue")
    bus.wait_until(lambda: len(bus.inbox("city-commission")) == 2, 60, "the municipal clue")

    [row] = _of_type(bus.inbox("city-commission"), "ProblemClueReceived")
    assert row["event_id"] == str(clue.event.event_id)
    assert row["reasons"] == "jurisdiction"
    assert row["redacted"] == "payload.informant"
    assert "informant" in row["payload"] and "A. Citizen" not in row["payload"]
    [transfer] = _of_type(bus.inbox("city-commission"), "ClueTransferred")
    assert (transfer["source_body"], transfer["reasons"]) == ("bus", "new_holder")
    assert json.loads(transfer["payload"])["from_body"] == "yuzhong-letters"
    assert "A. Citizen" not in transfer["payload"]
    [register] = _of_type(bus.inbox("city-case-mgmt"), "ProblemClueReceived")
    assert register["reasons"] == "clue_register"
    assert "A. Citizen" not in register["payload"]  # sealed by the SDK: on the log, in every read model
    assert bus.opened("city-case-mgmt", register)["informant"]["name"] == "A. Citizen"
    assert bus.opened("city-commission", register)["informant"]["sealed"]  # no key of its own opens it
    assert bus.inbox("jiangbei-commission") == []

    quarantined = bus.records(bus.container.topics.quarantine)
    assert sorted(r["reason"] for r in quarantined) == ["bad_signature", "invalid", "unencrypted_protected"]
    assert not any("A. Citizen" in json.dumps(r) for r in quarantined)
    logged = bus.records(bus.container.topics.log)
    assert {e["event_id"] for e in logged} >= {str(clue.event.event_id), str(district_clue.event.event_id)}


def _of_type(rows, event_type):
    return [r for r in rows if r["event_type"] == event_type]
