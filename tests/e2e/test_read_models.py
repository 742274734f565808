"""A scenario through the whole bus fills every read model, the API serves each body its share, and
replays from offset 0 or as of a moment give the live digests; a projector killed mid-batch and
restarted counts nothing twice."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from sqlalchemy import func, select

from fourfold.acl import OPERATOR, PROJECTOR
from fourfold.processes import Child
from fourfold.settings import Settings
from projections import queries
from projections.audit import custody
from projections.consuming import LogReader
from projections.db import load_positions
from projections.digest import digest
from projections.dossier import findings
from projections.log_index import log_events
from projections.projector import behind
from projections.testing import published
from projections.versions import SCHEMA_VERSION
from schemas import Subject, new_event
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity, SubjectKind
from schemas.events.clues import SupervisionFindingRecorded

pytestmark = pytest.mark.e2e


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """No bus clock: nothing but what the test publishes (and what it derives) reaches the log."""
    return bus_settings.model_copy(update={"clock_interval": 0.0})


def _applied(bus) -> set[str]:
    with bus.container.engine.connect() as conn:
        return set(conn.scalars(select(log_events.c.event_id)))


def _run(bus, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **bus.settings.to_env(), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def _cli(bus, *args: str) -> str:
    done = _run(bus, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def _digest_line(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("digest ")]
    return line.removeprefix("digest ")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _publish_and_settle(bus, tag: str) -> str:
    """Publish one story through the SDK, in order, one connection per body, and wait until the
    live read models have all of it and stay still (derived events may follow); their digest."""
    steps = published(tag)
    publishers = {}
    try:
        for step in steps:
            if step.body_id not in publishers:
                publishers[step.body_id] = bus.container.publisher(step.body_id)
            publishers[step.body_id].publish_event(step.event)
            publishers[step.body_id].flush()
    finally:
        for publisher in publishers.values():
            publisher.close()
    wanted = {str(s.event.event_id) for s in steps}
    bus.wait_until(lambda: wanted <= _applied(bus), 120, f"the projector to apply story {tag!r}")
    engine, topics, last = bus.container.engine, bus.container.topics, None
    projector = bus.container.access(PROJECTOR)
    while True:
        bus.wait_until(lambda: behind(engine, projector, topics) == 0, 60, "catching up")
        now = digest(engine)
        if now == last:
            return now
        last = now
        time.sleep(1.0)


LIVE = "postgresql" if Settings().test_postgres_url else "sqlite"
"""The live projector writes to PostgreSQL when it is configured; replays go to SQLite files, so
equal digests also show the backends agree (tests/integration covers each backend both ways)."""


@pytest.mark.parametrize("database_url", [LIVE], indirect=True)
def test_a_scenario_fills_every_read_model_serves_each_body_and_replays_to_the_same_digest(
    make_bus, database_url, tmp_path
):
    bus = make_bus(database_url).start()
    at_first = _publish_and_settle(bus, "")
    moment = datetime.now(UTC)
    _check_read_models(bus)
    _check_api(bus)

    time.sleep(1.0)
    live = _publish_and_settle(bus, "b")
    assert live != at_first
    assert _digest_line(_cli(bus, "digest")) == live
    full = _cli(bus, "replay", "--into", f"sqlite:///{tmp_path / 'full.db'}")
    assert _digest_line(full) == live and "records/s" in full
    then = _cli(bus, "replay", "--as-of", moment.isoformat(), "--into", f"sqlite:///{tmp_path / 'then.db'}")
    assert _digest_line(then) == at_first
    again = _run(bus, "replay", "--into", f"sqlite:///{tmp_path / 'full.db'}")
    assert again.returncode == 2 and "already holds read models" in again.stdout
    held = _cli(bus, "audit", "clue", "clue-1")
    assert "yuzhong-letters" in held and "city-commission" in held


def _check_read_models(bus) -> None:
    with bus.container.engine.connect() as conn:
        [clue] = queries.clue_rows(conn, ["clue-1"])
        assert (clue["holder"], clue["status"], clue["disposition"]) == (
            "city-commission",
            "disposed",
            "preliminary_verification",
        )
        chain = [spell["holder"] for spell in custody(conn, "clue-1")]
        assert chain[0] == "yuzhong-letters" and chain[-1] == "city-commission"
        dossier = queries.dossier(conn, "yuzhong-hospital")
        assert dossier is not None
        assert {(c["category"], c["count"]) for c in dossier["findings_by_category"]} == {("corruption", 1)}
        assert {c["clue_id"] for c in dossier["clues"]} == {"clue-1", "clue-2", "clue-3"}
        assert [c["case_id"] for c in dossier["cases"]] == ["case-1"]
        board = {r["rectification_id"]: r for r in queries.board(conn)}
        assert (board["rect-1"]["status"], board["rect-1"]["percent_complete"]) == ("in_progress", 40)
        assert board["rect-2"]["status"] == "verified" and board["reform-1"]["kind"] == "case_reform"
        [inspection] = queries.rounds(conn, ["round-1"])
        submitted = {(b["unit_id"], b["body_id"]) for b in inspection["briefings"] if b["submitted_at"]}
        assert submitted == {("yuzhong-school", "city-letters"), ("yuzhong-hospital", "city-office-1")}
        assert [c["answer"] for c in inspection["consultations"]] == ["One, in 2025, rectified."]
        [matter] = queries.matters(conn, None)
        assert (matter["status"], matter["lead_body"]) == ("completed", "city-office-1")
        [plan] = queries.plan_list(conn, None)
        assert {i["item_id"]: i["status"] for i in plan["items"]}["item-1"] == "completed"


def _check_api(bus) -> None:
    live = bus.container.read_store.live_version
    bus.wait_until(lambda: live() == SCHEMA_VERSION, 30, "the projector to go live")
    tokens = {body: _cli(bus, "tokens", "issue", body) for body in ("city-commission", "jiangbei-commission")}
    port = _free_port()
    bus.children.append(Child("api", ["serve", "--port", str(port)], bus.log_dir, env=bus.settings.to_env()))
    base = f"http://127.0.0.1:{port}"
    bus.wait_until(lambda: _answers(base), 30, "the API to answer")

    def get(body: str, path: str) -> httpx2.Response:
        return httpx2.get(base + path, headers={"Authorization": f"Bearer {tokens[body]}"})

    assert get("city-commission", "/clues/clue-1").json()["holder"] == "city-commission"
    assert get("jiangbei-commission", "/clues/clue-1").status_code == 403
    assert get("jiangbei-commission", "/bodies/city-commission/inbox").status_code == 403
    inbox = get("city-commission", "/bodies/city-commission/inbox").json()
    assert any(e["event_type"] == "ProblemClueReceived" for e in inbox)
    assert "/audit/clues/{clue_id}/custody" in httpx2.get(base + "/openapi.json").json()["paths"]


def _answers(base: str) -> bool:
    try:
        return httpx2.get(base + "/health", timeout=1).json()["serving"]
    except httpx2.HTTPError:
        return False


def _finding(i: int) -> SupervisionFindingRecorded:
    units = ("yuzhong-school", "yuzhong-hospital", "jiangbei-school")
    return SupervisionFindingRecorded(
        finding_id=f"kill-{i:04d}",
        unit_id=units[i % 3],
        category=list(FindingCategory)[i % 5],
        severity=Severity.LOW,
        how_found=HowFound.DAILY_SUPERVISION,
        summary="Found in daily supervision.",
    )


def _log_positions(bus) -> list[tuple[int, int, str]]:
    """(partition, offset, event id) of every record on the log."""
    reader = LogReader(bus.container.access(OPERATOR))
    try:
        log = {tp for tp in reader.projected(bus.container.topics) if tp.topic == bus.container.topics.log}
        reader.from_start(log)
        ends, records = reader.end_offsets(log), []
        while any(position < ends[tp] for tp, position in reader.positions(log).items()):
            records += reader.poll(1000, 1000)
        return [(r.partition, r.offset, json.loads(r.value)["event_id"]) for r in records]
    finally:
        reader.close()


def test_a_projector_killed_mid_batch_and_restarted_counts_nothing_twice(running_bus):
    bus = running_bus.start(projector=False)
    total = 150
    at = datetime.now(UTC) - timedelta(days=1)
    with bus.container.publisher("city-office-1") as publisher:
        for i in range(total):
            payload = _finding(i)
            publisher.publish_event(
                new_event(
                    payload,
                    source_body="city-office-1",
                    occurred_at=at + timedelta(seconds=i),
                    subject=Subject(kind=SubjectKind.UNIT, id=payload.unit_id),
                    event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{bus.settings.topic_prefix}/{i}"),
                )
            )
    bus.wait_until(lambda: len(_log_positions(bus)) >= total, 120, "the router to log every finding")

    env = {**bus.settings.to_env(), "FOURFOLD_PROJECTOR_BATCH_SIZE": "3"}
    first = Child("projector-1", ["project"], bus.log_dir, env=env)
    bus.children.append(first)
    engine = bus.container.engine

    def findings_applied() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(findings)) or 0

    deadline = time.monotonic() + 60
    while findings_applied() < 10 and time.monotonic() < deadline and first.alive:
        time.sleep(0.01)
    first.kill()
    bus.children.remove(first)
    applied_when_killed = findings_applied()
    assert applied_when_killed < total, "the projector finished before it could be killed"

    with engine.connect() as conn:  # what was committed is exactly what the saved offsets cover
        stored = load_positions(conn)
        ids = set(conn.scalars(select(log_events.c.event_id)))
    log = _log_positions(bus)
    topic = bus.container.topics.log
    assert ids == {event_id for p, o, event_id in log if o < stored.get((topic, p), 0)}

    bus.children.append(Child("projector-2", ["project"], bus.log_dir, env=bus.settings.to_env()))
    topics, projector = bus.container.topics, bus.container.access(PROJECTOR)
    bus.wait_until(lambda: behind(engine, projector, topics) == 0, 60, "the restart to catch up")
    assert findings_applied() == total
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(log_events)) == len({e for _, _, e in log})
        [row] = queries.aggregates(conn)["findings_by_severity"].items()
        assert row == ("low", total)
