"""Issue 13: an informant's name, through the whole flow, is readable only in the decrypted API views of
the bodies allowed to read it; every topic, database, log file and report holds it sealed or not at all."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaAdminClient

from fourfold.acl import OPERATOR
from fourfold.registrar import DEMO_REGISTRY
from projections import tokens
from projections.versions import SCHEMA_VERSION
from schemas import Subject
from schemas.enums import Classification, SubjectKind
from schemas.events.clues import ClueTransferred, Informant
from streams.testing import read_records
from tests.conftest import RunningBus

pytestmark = pytest.mark.e2e

NAME = "Qiao Mingyue-7731"
"""The informant: ASCII, so JSON never escapes it and a byte search finds every clear copy."""
SOURCE = "yuzhong-letters"  # a district office receives a report about a municipal-managed cadre
READERS = ("city-letters", "city-case-mgmt", "yuzhong-letters", "yuzhong-case-mgmt")
NOT_READERS = ("city-commission", "yuzhong-commission")  # keys of their own, but no right to read
SEES_IT = {"yuzhong-letters", "city-case-mgmt", "yuzhong-case-mgmt"}
"""Those whose API views hold the name: the source, the register it went to, and the register of the
commission it was transferred on to. city-letters may read it but was sent nothing."""


def _fourfold(bus: RunningBus, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **bus.settings.to_env(), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def _ok(bus: RunningBus, *args: str) -> str:
    done = _fourfold(bus, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _reference(bus: RunningBus, event_type: str) -> set[str]:
    found = bus.records(bus.container.topics.reference)
    return {r["payload"]["body_id"] for r in found if r["event_type"] == event_type}


def _clue_line(clue_id: str, informant: str) -> dict[str, Any]:
    return {
        "event_type": "ProblemClueReceived",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "classification": "confidential",
        "payload": {
            "clue_id": clue_id,
            "unit_id": "yuzhong-hospital",
            "cadre_id": "cadre-qian",
            "summary": "Kickbacks on equipment purchases.",
            "informant": {"name": informant, "contact": "by letter"},
        },
    }


def test_an_informant_is_readable_only_by_the_allowed_bodies_through_the_api(
    running_bus: RunningBus, tmp_path: Path, operator
) -> None:
    bus = running_bus.start()
    topics = bus.container.topics

    # keys, by default: the registry load made each reader's pair, registered the public halves as
    # the registrar and wrote the key directory; the operator exports it again for the agencies
    assert _reference(bus, "EncryptionKeyRegistered") >= set(READERS + NOT_READERS)
    assert bus.settings.key_directory_file.exists()
    assert "keys written to" in _ok(bus, "keys", "directory")

    # a clue published through the SDK's bulk import (the outbox), with a refused line carrying the name
    lines = tmp_path / "clues.jsonl"
    too_long = _clue_line("clue-conf-2", NAME + " " + "x" * 250)
    lines.write_text(json.dumps(_clue_line("clue-conf-1", NAME)) + "\n" + json.dumps(too_long) + "\n")
    key = bus.settings.keys_dir / f"{SOURCE}.pem"
    refused = _fourfold(bus, "publish", "--as", SOURCE, "--key", str(key), str(lines))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    report = lines.with_name(lines.name + ".refused.jsonl")
    assert json.loads(report.read_text())["line"] == 2

    # routing and the transfer up to the city commission, which holds jurisdiction
    def city_register() -> list[dict[str, Any]]:
        return [r for r in bus.inbox("city-case-mgmt") if r["event_type"] == "ProblemClueReceived"]

    bus.wait_until(lambda: bool(city_register()), 90, "the clue in the city's register")
    bus.wait_until(
        lambda: any(r["event_type"] == "ClueTransferred" for r in bus.inbox("city-commission")),
        60,
        "the transfer up",
    )

    # a bad copy carrying the (sealed) name: altered after signing, so its signature fails
    [logged] = [
        r for r in read_records(operator, [topics.log]) if b"clue-conf-1" in r[1] and b"Kickbacks" in r[1]
    ]
    bus.send_raw(SOURCE, logged[1].replace(b"Kickbacks", b"Kickbackz"), key="clue-conf-1")

    # the API, for each body that may read the name: city case management opens it, and hands the
    # clue down to the district commission, sealing the informant again for that commission's readers
    store = bus.container.read_store
    bus.wait_until(lambda: store.live_version() == SCHEMA_VERSION, 60, "the read models to go live")
    client = TestClient(bus.container.read_api())

    def get(body: str, path: str) -> Any:
        headers = {"Authorization": f"Bearer {tokens.issue(bus.container.identity.engine, body)}"}
        return client.get(path, headers=headers)

    [entry] = [
        e
        for e in get("city-case-mgmt", "/bodies/city-case-mgmt/inbox").json()
        if e["event_type"] == "ProblemClueReceived"
    ]
    opened = Informant.model_validate(entry["payload"]["informant"])
    assert opened.name == NAME
    down = ClueTransferred(
        clue_id="clue-conf-1",
        from_body="city-commission",  # the holder; its commission's case management transfers it
        to_body="yuzhong-commission",
        reason="For the district commission to verify.",
        informant=opened,
    )
    with bus.container.publisher("city-case-mgmt") as publisher:
        publisher.publish(
            down,
            subject=Subject(kind=SubjectKind.CADRE, id="cadre-qian"),
            classification=Classification.CONFIDENTIAL,
        )
    bus.wait_until(
        lambda: any(r["event_type"] == "ClueTransferred" for r in bus.inbox("yuzhong-case-mgmt")),
        60,
        "the transfer down in the district's register",
    )
    bus.wait_until(lambda: len(bus.records(topics.quarantine)) >= 1, 60, "the bad copy's quarantine")
    assert {r["reason"] for r in bus.records(topics.quarantine)} == {"bad_signature"}

    # replay into a database of its own
    _ok(bus, "replay", "--into", f"sqlite:///{tmp_path / 'replay.db'}")

    # every body asks the API for all it may see
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    bodies = [b["body_id"] for b in json.loads(DEMO_REGISTRY.read_text())["bodies"] if b["body_id"] != "bus"]
    views: dict[str, str] = {}
    for body in bodies:
        answers = [
            get(body, f"/bodies/{body}/inbox"),
            get(body, f"/audit/bodies/{body}/knowledge?as_of={now}"),
            get(body, "/clues"),
            get(body, "/clues/clue-conf-1"),
            get(body, "/audit/clues/clue-conf-1/custody"),
        ]
        views[body] = "\n".join(a.text for a in answers)
    assert {b for b, text in views.items() if NAME in text} == SEES_IT

    # and nothing else holds it in clear: every topic, every file (databases, logs, reports, outbox)
    admin = KafkaAdminClient(**bus.container.access(OPERATOR).kafka_python())
    try:
        ours = [t for t in admin.list_topics() if t.startswith(bus.settings.topic_prefix)]
    finally:
        admin.close()
    assert topics.log in ours and topics.quarantine in ours
    on_topics = [
        t for t, value in read_records(operator, ours, committed=False) if value and NAME.encode() in value
    ]
    assert on_topics == []
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != lines]  # not the agency's own input
    assert any(p.name == "readmodels.db" for p in files) and any(p.name == "replay.db" for p in files)
    assert any(p.suffix == ".log" for p in files) and report in files
    assert [str(p) for p in files if NAME.encode() in p.read_bytes()] == []

    # everything written under FOURFOLD_HOME is its owner's only
    home = bus.settings.home
    loose = [
        f"{p} {oct(stat.S_IMODE(p.stat().st_mode))}"
        for p in [home, *home.rglob("*")]
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    ]
    assert loose == []
