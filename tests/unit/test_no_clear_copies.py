"""No clear copy of a protected value: refusals, decoding errors, the bulk report, the outbox, the API's
view and the files the bus's processes write."""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from fourfold.bulk import import_file, write_report
from fourfold.processes import Child
from producers import Outbox, StagedEvent
from producers.staging import refusal
from projections.access import Reader
from projections.batch import described
from projections.reveal import reveal
from schemas import InvalidEvent, SigningKey, decode_event
from schemas.canonical import canonical_json
from schemas.confidential import EncryptionKey, Keyring, seal_protected, withhold_raw
from schemas.events.clues import Informant, ProblemClueReceived
from schemas.records import Delivery
from schemas.signing import sign_to_wire
from streams.testing import clue

NAME = "Li Secretname"
LONG = NAME + " " + "x" * 300  # over the Name limit of 200 characters


def test_a_refusal_names_the_protected_field_but_never_quotes_it():
    with pytest.raises(ValidationError) as exc:
        ProblemClueReceived(clue_id="c-1", unit_id="u-1", summary="s", informant={"name": LONG})  # type: ignore[arg-type]
    refused = refusal("ProblemClueReceived", exc.value, "payload.")
    assert any("payload.informant" in p for p in refused.problems)
    assert NAME not in str(refused) and all(NAME not in p for p in refused.problems)


def test_a_decoding_error_names_the_protected_field_but_never_quotes_it():
    good = clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME))
    _, raw = sign_to_wire(good, SigningKey.generate("city-letters:1"))
    data = json.loads(raw)
    data["payload"]["informant"] = {"name": LONG}
    with pytest.raises(InvalidEvent) as invalid:
        decode_event(canonical_json(data))
    assert "payload.informant" in str(invalid.value) and NAME not in str(invalid.value)
    spaced = raw.replace(b'"informant":{', b'"informant": {')
    with pytest.raises(InvalidEvent) as not_canonical:
        decode_event(spaced)
    assert NAME not in str(not_canonical.value)


def test_the_projector_records_a_bad_delivery_without_its_content():
    with pytest.raises(ValidationError) as exc:
        Delivery.model_validate_json(b'{"recipient": "' + NAME.encode() + b'", "reasons": []}')
    assert NAME not in described(exc.value, None)


def test_the_bulk_refusal_report_withholds_protected_fields(tmp_path: Path):
    lines = tmp_path / "clues.jsonl"
    bad_clue = {
        "event_type": "ProblemClueReceived",
        "payload": {"clue_id": "c-9", "unit_id": "city-bank", "summary": "s", "informant": {"name": LONG}},
    }
    lines.write_text(json.dumps(bad_clue) + "\n" + '{"informant": "' + NAME + '", broken\n', encoding="utf-8")

    class Refusing:  # the import refuses both lines before it would touch the publisher's outbox
        body_id = "city-letters"

        def envelope(self, payload, **options):  # pragma: no cover - never reached: the draft is invalid
            raise AssertionError("a line with an invalid payload reached the envelope")

    result = import_file(Refusing(), lines)  # type: ignore[arg-type]
    assert [r.line for r in result.refused] == [1, 2]
    report = tmp_path / "report.jsonl"
    write_report(report, result.refused)
    text = report.read_text(encoding="utf-8")
    assert NAME not in text and "withheld" in text
    assert json.loads(text.splitlines()[0])["text"].count("c-9") == 1  # the rest of the line is kept


def test_the_outbox_forgets_acknowledged_events_after_its_retention(tmp_path: Path):
    outbox = Outbox(tmp_path / "outbox.db", synchronous="NORMAL", retention=3600.0)
    old, recent = (StagedEvent(uuid.uuid4(), "ProblemClueReceived", b"k", NAME.encode()) for _ in range(2))
    outbox.add("city-letters", "t", [old, recent])
    seqs = [row.seq for row in outbox.pending("t", limit=10)]
    outbox.mark_sent([(seqs[0], 0, 0)])
    with outbox._transaction() as db:  # acknowledged two hours ago
        db.execute("UPDATE outbox SET sent_at = ? WHERE seq = ?", (time.time() - 7200, seqs[0]))
    assert outbox.prune_expired() == 1
    assert (
        outbox.status(old.event_id).state == "unknown" and outbox.status(recent.event_id).state == "pending"
    )
    outbox.close()


def test_the_api_opens_a_protected_field_only_for_a_permitted_reader_holding_its_key():
    cases = EncryptionKey.generate("city-case-mgmt", "city-case-mgmt:enc:1")
    commission = EncryptionKey.generate("city-commission", "city-commission:enc:1")
    ring = Keyring()
    for key in (cases, commission):
        ring.add(key)
    event = seal_protected(
        clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME)),
        [cases.recipient, commission.recipient],  # even if sealed for a body that may not read it
    )
    entry = {
        "recipient": "city-case-mgmt",
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "source_body": "city-letters",
        "redacted": [],
        "payload": event.model_dump(mode="json")["payload"],
    }
    shown = reveal(entry, Reader("city-case-mgmt", "case_management"), ring)
    assert shown["payload"]["informant"]["name"] == NAME
    assert NAME not in json.dumps(reveal(entry, Reader("city-case-mgmt", "case_management"), None))
    theirs = {**entry, "recipient": "city-commission"}
    assert NAME not in json.dumps(reveal(theirs, Reader("city-commission", "commission"), ring))
    assert NAME not in json.dumps(reveal(entry, Reader("city-commission", "commission"), ring))


def test_a_child_process_writes_its_log_and_files_for_its_owner_only(tmp_path: Path):
    child = Child("probe", ["--help"], tmp_path / "logs")
    child.process.wait(30)
    child.stop()
    mode = stat.S_IMODE(os.stat(child.log_path).st_mode)
    assert mode == 0o600 and stat.S_IMODE(os.stat(tmp_path / "logs").st_mode) == 0o700


def test_refused_bytes_keep_a_sealed_informant_but_never_a_clear_one():
    event = clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME))
    _, clear = sign_to_wire(event, SigningKey.generate("city-letters:1"))
    kept = withhold_raw(clear)
    assert NAME.encode() not in kept and b"clue-1" in kept
    assert NAME.encode() not in withhold_raw(clear[:-40])  # cut short: not JSON, withheld whole
    key = EncryptionKey.generate("city-case-mgmt", "city-case-mgmt:enc:1")
    _, sealed = sign_to_wire(seal_protected(event, [key.recipient]), SigningKey.generate("city-letters:1"))
    assert withhold_raw(sealed) == sealed
