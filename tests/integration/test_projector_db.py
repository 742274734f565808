"""The projection against real SQLite and PostgreSQL: the writer matches the in-memory fold, an event
applied twice leaves one row, rows and offsets commit together, and versions switch by a pointer."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from fourfold.registrar import DEMO_REGISTRY
from projections import tokens
from projections.batch import Record, apply_batch, integrity_failures, unreadable
from projections.changes import Memory
from projections.db import load_positions
from projections.digest import counts, digest, memory_digest
from projections.dispatch import changes_for
from projections.inbox import inbox
from projections.log_index import log_events
from projections.schema import read_model_tables
from projections.testing import (
    TEST_SEAL,
    history,
    log_records,
    reference_history,
    sample_recipients,
    sealed_intake,
)
from projections.versions import SCHEMA_VERSION, ReadStore
from projections.writer import write_changes
from schemas import Topics

pytestmark = pytest.mark.integration

TOPICS = Topics("unit")
EVENTS = reference_history(DEMO_REGISTRY) + history()


@pytest.fixture
def store(database_url):
    store = ReadStore(database_url)
    yield store
    store.dispose()


def _positions(records):
    out = {}
    for r in records:
        out[(r.topic, r.partition)] = r.offset + 1
    return out


def _apply(store, records):
    with store.engine().begin() as conn:
        return apply_batch(conn, records, sealed_intake(TOPICS), _positions(records))


def test_the_sql_writer_gives_the_rows_of_the_in_memory_fold(store):
    memory = Memory().apply([c for e in EVENTS for c in changes_for(e)])
    shuffled = random.Random(7).sample(EVENTS, len(EVENTS))
    for start in range(0, len(shuffled), 9):
        with store.engine().begin() as conn:
            write_changes(conn, [c for e in shuffled[start : start + 9] for c in changes_for(e)])
    with store.engine().connect() as conn:
        for table in read_model_tables():
            stored = [dict(r._mapping) for r in conn.execute(select(table))]
            expected = list(memory.state.get(table.name, {}).values())
            key = [c.name for c in table.primary_key.columns]
            assert sorted(stored, key=lambda r: [r[k] for k in key]) == sorted(
                expected, key=lambda r: [r[k] for k in key]
            ), table.name
    assert digest(store.engine()) == memory_digest(memory.state)


def test_applying_the_same_records_again_leaves_one_row_each(store):
    records = log_records(TOPICS, EVENTS, sample_recipients)
    assert _apply(store, records) == len(EVENTS)
    once, first_digest = counts(store.engine()), digest(store.engine())
    assert once["log_events"] == len(EVENTS)
    assert once["inbox"] == sum(len(sample_recipients(e)) for e in EVENTS)

    assert _apply(store, records) == 0  # a redelivery after lost offsets
    assert _apply(store, records[:5] + records[:5]) == 0  # and duplicates within one batch
    assert counts(store.engine()) == once
    assert digest(store.engine()) == first_digest


def test_a_second_copy_of_an_event_on_the_log_is_applied_once(store):
    records = log_records(TOPICS, EVENTS[:40])
    again = [
        r.__class__(r.topic, r.partition, r.offset + len(records), r.timestamp, r.value) for r in records
    ]
    assert _apply(store, records + again) == 40
    with store.engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(log_events)) == 40


def test_rows_and_offsets_commit_or_roll_back_together(store):
    records = log_records(TOPICS, EVENTS, sample_recipients)
    with pytest.raises(RuntimeError), store.engine().begin() as conn:
        apply_batch(conn, records, sealed_intake(TOPICS), _positions(records))
        raise RuntimeError("the process dies before the commit")
    with store.engine().connect() as conn:
        assert load_positions(conn) == {}
    assert not any(counts(store.engine()).values())
    _apply(store, records)
    with store.engine().connect() as conn:
        assert load_positions(conn) == _positions(records)
        assert conn.scalar(select(func.count()).select_from(inbox)) > 0


def test_unreadable_records_are_kept_with_their_error_and_the_rest_applies(store):
    good = log_records(TOPICS, EVENTS[:3])
    bad = [_sealed(TOPICS.log, 99, b"\xff garbage"), _sealed(TOPICS.inbox("x"), 0, b"{}")]
    _apply(store, good + bad)
    with store.engine().connect() as conn:
        errors = {(r.topic, r.offset) for r in conn.execute(select(unreadable))}
        assert errors == {(TOPICS.log, 99), (TOPICS.inbox("x"), 0)}
        assert conn.scalar(select(func.count()).select_from(log_events)) == 3


def _sealed(topic, offset, value, key=b"k"):
    return Record(topic, 0, offset, 0, value, key, TEST_SEAL.headers(topic, key, value))


def test_records_the_router_did_not_seal_are_refused_by_place_and_digest_only(store):
    [clue_record, *_] = [r for r in log_records(TOPICS, EVENTS) if b"ProblemClueReceived" in r.value]
    planted = Record(TOPICS.log, 1, 5, 0, clue_record.value, clue_record.key)
    copied = replace(clue_record, topic=TOPICS.inbox("city-commission"), offset=78)
    tampered = replace(clue_record, partition=3, value=clue_record.value + b" ")
    [delivery] = [r for r in log_records(TOPICS, EVENTS, sample_recipients) if r.topic != TOPICS.log][:1]
    body = json.loads(delivery.value)
    body["recipient"] = "someone-else"
    misdirected = _sealed(delivery.topic, 77, json.dumps(body).encode())
    _apply(store, [planted, tampered, copied, misdirected])
    with store.engine().connect() as conn:
        rows = conn.execute(select(integrity_failures))
        refused = {(r.topic, r.partition, r.offset, r.reason) for r in rows}
        assert conn.scalar(select(func.count()).select_from(log_events)) == 0
        assert conn.scalar(select(func.count()).select_from(inbox)) == 0
    assert refused == {
        (TOPICS.log, 1, 5, "unsealed"),
        (TOPICS.log, 3, clue_record.offset, "bad_seal"),
        (TOPICS.inbox("city-commission"), 0, 78, "bad_seal"),
        (delivery.topic, 0, 77, "wrong_recipient"),
    }


def test_versions_live_apart_and_the_pointer_only_moves_forward_when_asked(store):
    store.engine()
    assert store.versions() == [SCHEMA_VERSION]
    assert store.live_version() is None
    _apply(store, log_records(TOPICS, EVENTS[:5]))
    next_version = SCHEMA_VERSION + 1
    with store.engine(next_version).connect() as conn:  # a namespace of its own, still empty
        assert not conn.dialect.has_table(conn, "log_events")
    assert store.versions() == [SCHEMA_VERSION, next_version]

    assert store.switch(SCHEMA_VERSION, "built")
    assert store.switch(next_version, "caught up", only_if_newer=True)
    assert not store.switch(SCHEMA_VERSION, "late", only_if_newer=True)
    assert store.live_version() == next_version
    assert store.switch(SCHEMA_VERSION, "rolled back by hand")
    assert store.live_version() == SCHEMA_VERSION


def test_tokens_are_stored_hashed_and_can_be_revoked(store):
    token = tokens.issue(store.control, "city-office-1")
    assert tokens.authenticate(store.control, token) == "city-office-1"
    assert tokens.authenticate(store.control, token + "x") is None
    with store.control.connect() as conn:
        assert token not in repr(conn.execute(select(tokens.api_tokens)).all())
    assert tokens.revoke(store.control, "city-office-1") == 1
    assert tokens.authenticate(store.control, token) is None
