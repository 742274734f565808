"""Attacks behind the front door, on the real broker: a local process that can reach the broker and
holds one body's own valid key. Each test is one reproduction of issue 10; docs/security.md maps
them to the controls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka import KafkaProducer
from sqlalchemy import select

from fourfold.acl import OPERATOR
from projections.batch import integrity_failures
from projections.clues import clues as clue_table
from schemas import Envelope, SigningKey, Subject, encode_event, new_event, sign_event
from schemas.enums import Disposition, SubjectKind
from schemas.events.clues import ClueDisposed, ClueTransferred, Informant, ProblemClueReceived
from schemas.events.reference import SigningKeyRegistered, SigningKeyRevoked
from schemas.records import Delivery
from tests.conftest import RunningBus

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC).replace(microsecond=0)


def a_clue(
    clue_id: str, *, source: str = "yuzhong-letters", cadre: str = "cadre-sun", **kw: Any
) -> Envelope[Any]:
    """A district-managed cadre's clue received in the district: it stays with yuzhong-commission."""
    payload = ProblemClueReceived(
        clue_id=clue_id,
        unit_id="yuzhong-hospital",
        cadre_id=cadre,
        summary=kw.pop("summary", "A report."),
        informant=Informant(name="C. Citizen"),
    )
    return new_event(
        payload,
        source_body=source,
        occurred_at=kw.pop("at", NOW - timedelta(hours=1)),
        subject=Subject(kind=SubjectKind.CADRE, id=cadre),
        correlation_id=kw.pop("matter", clue_id),
        **kw,
    )


def follow_up(payload: Any, source: str, matter: str, at: datetime) -> Envelope[Any]:
    return new_event(
        payload,
        source_body=source,
        occurred_at=at,
        subject=Subject(kind=SubjectKind.CADRE, id="cadre-sun"),
        correlation_id=matter,
    )


def raw_write(
    bus: RunningBus, topic: str, value: bytes, key: bytes = b"x", *, principal: str = OPERATOR, **config: Any
) -> None:
    """Write straight onto a topic as ``principal``: by default the operator, who may write anywhere
    (what the broker's ACLs keep every body from), so the checks behind them are what is tested."""
    producer = KafkaProducer(**bus.container.access(principal).kafka_python(), **config)
    try:
        producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close()


def quarantined(bus: RunningBus, event_id: Any = None) -> list[dict[str, Any]]:
    records = bus.records(bus.container.topics.quarantine)
    return [q for q in records if event_id is None or q["event_id"] == str(event_id)]


def logged(bus: RunningBus, event_id: Any) -> bool:
    return any(e["event_id"] == str(event_id) for e in bus.records(bus.container.topics.log))


def reason_of(bus: RunningBus, event: Envelope[Any]) -> str:
    """Wait for the router's word on ``event``: "logged" or its quarantine reason."""
    found: list[str] = []

    def decided() -> bool:
        if logged(bus, event.event_id):
            found.append("logged")
        else:
            found.extend(q["reason"] for q in quarantined(bus, event.event_id))
        return bool(found)

    bus.wait_until(decided, 60, f"the router to decide on {event.event_type} {event.event_id}")
    return found[0]


def registrar_signed(bus: RunningBus, payload: Any, body_id: str) -> Envelope[Any]:
    event = new_event(
        payload,
        source_body=bus.settings.registrar_body,
        occurred_at=datetime.now(UTC),
        subject=Subject(kind=SubjectKind.BODY, id=body_id),
        correlation_id=f"key-{body_id}",
    )
    return event


# -- 1. reference data nobody sealed ------------------------------------------------------------


def test_unsealed_reference_data_is_never_applied_even_after_a_restart(running_bus):
    bus = running_bus.start(projector=False)
    forged_key = SigningKey.generate("yuzhong-letters:666")
    registration = registrar_signed(
        bus,
        SigningKeyRegistered(
            body_id="yuzhong-letters", key_id=forged_key.key_id, public_key=forged_key.verify_key.text
        ),
        "yuzhong-letters",
    )
    revocation = registrar_signed(
        bus,
        SigningKeyRevoked(body_id="yuzhong-letters", key_id="yuzhong-letters:1", reason="forged"),
        "yuzhong-letters",
    )
    reference = bus.container.topics.reference
    raw_write(bus, reference, encode_event(registration), b"key:yuzhong-letters:yuzhong-letters:666")
    raw_write(bus, reference, encode_event(revocation), b"key:yuzhong-letters:yuzhong-letters:1")
    time.sleep(3)  # the router's reference feed reads what was written

    forged_clue = a_clue("forged-1")
    bus.send_raw("yuzhong-letters", encode_event(sign_event(forged_clue, forged_key)))
    assert reason_of(bus, forged_clue) == "unknown_key"
    real = a_clue("real-1")
    bus.publish("yuzhong-letters", real)
    assert reason_of(bus, real) == "logged"

    worker = bus.children[0]
    worker.stop()
    bus.children.remove(worker)
    bus.start_worker("restarted")
    again = a_clue("forged-2")
    bus.send_raw("yuzhong-letters", encode_event(sign_event(again, forged_key)))
    assert reason_of(bus, again) == "unknown_key"
    real_again = a_clue("real-2")
    bus.publish("yuzhong-letters", real_again)
    assert reason_of(bus, real_again) == "logged"


# -- 2. records on the log and inboxes that the router did not write -----------------------------


def test_the_projector_takes_only_what_the_router_sealed(running_bus):
    bus = running_bus.start()
    topics = bus.container.topics
    forged = a_clue("planted-1")
    raw_write(bus, topics.log, encode_event(forged), b"planted-1")
    misdirected = Delivery(
        recipient="yuzhong-commission", reasons=("jurisdiction",), event=json.loads(encode_event(forged))
    )
    raw_write(bus, topics.inbox("city-commission"), misdirected.model_dump_json().encode(), b"planted-1")
    real = a_clue("real-1")
    bus.publish("yuzhong-letters", real)
    bus.wait_until(
        lambda: any(r["event_id"] == str(real.event_id) for r in bus.inbox("yuzhong-commission")),
        60,
        "the real clue",
    )
    time.sleep(1)

    with bus.container.engine.connect() as conn:
        register = set(conn.scalars(select(clue_table.c.clue_id)))
        refused = conn.execute(select(integrity_failures)).mappings().all()
    assert "planted-1" not in register and "real-1" in register
    assert {(r["topic"], r["reason"]) for r in refused} >= {
        (topics.log, "unsealed"),
        (topics.inbox("city-commission"), "unsealed"),
    }
    assert all("planted" not in json.dumps(dict(r), default=str) for r in refused), "no content in the table"
    assert all(r["event_id"] != str(forged.event_id) for r in bus.inbox("yuzhong-commission"))
    assert bus.inbox("city-commission") == [] or all(
        r["event_id"] != str(forged.event_id) for r in bus.inbox("city-commission")
    )


# -- 3, 4, 5. custody, id reuse, post-dating -----------------------------------------------------


def test_custody_cannot_be_taken_and_ids_cannot_be_reused_or_post_dated(running_bus):
    bus = running_bus.start()
    clue = a_clue("held-1")
    bus.publish("yuzhong-letters", clue)
    assert reason_of(bus, clue) == "logged"
    later = NOW - timedelta(minutes=30)

    hijack = follow_up(
        ClueTransferred(
            clue_id="held-1", from_body="yuzhong-commission", to_body="city-office-1", reason="mine"
        ),
        "city-office-1",
        "held-1",
        later,
    )
    bus.publish("city-office-1", hijack)
    disposal = follow_up(
        ClueDisposed(clue_id="held-1", disposition=Disposition.CLOSED, reason="gone"),
        "city-review",
        "held-1",
        later,
    )
    bus.publish("city-review", disposal)
    unknown = follow_up(
        ClueDisposed(clue_id="never-seen", disposition=Disposition.CLOSED, reason="?"),
        "yuzhong-commission",
        "never-seen",
        later,
    )
    bus.publish("yuzhong-commission", unknown)
    reuse = a_clue(
        "held-1", summary="Overwritten.", cadre="cadre-qian", source="city-letters", matter="other"
    )
    bus.publish("city-letters", reuse)
    post_dated = follow_up(
        ClueTransferred(
            clue_id="held-1", from_body="yuzhong-commission", to_body="city-commission", reason="2099"
        ),
        "yuzhong-commission",
        "held-1",
        datetime(2099, 1, 1, tzinfo=UTC),
    )
    bus.publish("yuzhong-commission", post_dated)

    assert reason_of(bus, hijack) == "not_holder"
    assert reason_of(bus, disposal) == "not_holder"
    assert reason_of(bus, unknown) == "unknown_clue"
    assert reason_of(bus, reuse) == "duplicate_id_reuse"
    assert reason_of(bus, post_dated) == "future_dated"

    rightful = follow_up(
        ClueTransferred(
            clue_id="held-1", from_body="yuzhong-commission", to_body="city-commission", reason="up"
        ),
        "yuzhong-case-mgmt",
        "held-1",
        later,
    )
    bus.publish("yuzhong-case-mgmt", rightful)
    assert reason_of(bus, rightful) == "logged"
    bus.wait_until(lambda: _clue_row(bus, "held-1").get("holder") == "city-commission", 60, "the transfer")
    row = _clue_row(bus, "held-1")
    assert (row["summary"], row["cadre_id"], row["received_by"]) == (
        "A report.",
        "cadre-sun",
        "yuzhong-letters",
    )
    assert all(r["event_id"] != str(hijack.event_id) for r in bus.inbox("city-office-1"))


def _clue_row(bus: RunningBus, clue_id: str) -> dict[str, Any]:
    with bus.container.engine.connect() as conn:
        row = conn.execute(select(clue_table).where(clue_table.c.clue_id == clue_id)).mappings().first()
    return dict(row) if row else {}


# -- 6. a revoked key stays revoked --------------------------------------------------------------


def test_a_revoked_key_cannot_be_registered_again(running_bus):
    bus = running_bus.start(projector=False)
    key = bus.container.keys.load("yuzhong-letters")
    registrar = bus.settings.registrar_body
    revoke = registrar_signed(
        bus, SigningKeyRevoked(body_id="yuzhong-letters", key_id=key.key_id, reason="lost"), "yuzhong-letters"
    )
    bus.publish(registrar, revoke)
    assert reason_of(bus, revoke) == "logged"
    again = registrar_signed(
        bus,
        SigningKeyRegistered(body_id="yuzhong-letters", key_id=key.key_id, public_key=key.verify_key.text),
        "yuzhong-letters",
    )
    bus.publish(registrar, again)
    assert reason_of(bus, again) == "revoked_key"
    clue = a_clue("after-revocation")
    bus.publish("yuzhong-letters", clue)
    assert reason_of(bus, clue) == "revoked_key"

    env = {**os.environ, **bus.settings.to_env(), "COLUMNS": "200"}
    command = [sys.executable, "-m", "fourfold.cli", "keys", "register", "yuzhong-letters"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"Cannot register {key.key_id}: it was revoked (lost)" in " ".join(
        (done.stdout + done.stderr).split()
    )


# -- 7. one oversized record neither stops the router nor is lost ---------------------------------


def test_an_oversized_record_is_refused_or_quarantined_in_bounds_and_the_router_goes_on(running_bus):
    bus = running_bus.start(projector=False)
    topic = bus.container.topics.ingest("yuzhong-letters")
    try:
        raw_write(bus, topic, b"\x01" * 200_000, principal="yuzhong-letters", max_request_size=1 << 20)
    except Exception as exc:  # the broker's own size limit on ingest topics refuses it outright
        assert "MessageSizeTooLarge" in type(exc).__name__ or "too large" in str(exc).lower()
    else:
        bus.wait_until(
            lambda: any(q["reason"] == "too_large" for q in quarantined(bus)), 60, "the quarantine"
        )
        [record] = [q for q in quarantined(bus) if q["reason"] == "too_large"]
        assert record["raw_length"] == 200_000 and len(record["raw"]) <= 512
    near_limit = b"\x01" * (bus.settings.max_event_bytes - 200)
    raw_write(bus, topic, near_limit, principal="yuzhong-letters")
    bus.wait_until(
        lambda: any(q.get("raw_length") == len(near_limit) for q in quarantined(bus)),
        60,
        "the bounded record",
    )
    after = a_clue("after-the-flood")
    bus.publish("yuzhong-letters", after)
    assert reason_of(bus, after) == "logged"
    assert all(c.alive for c in bus.children)
