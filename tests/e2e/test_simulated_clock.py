"""Driving bus time on a simulation bus: `fourfold clock advance` publishes the bus clock's ticks,
deadlines fire on them; a bus not configured for simulation refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fourfold.acl import OPERATOR
from fourfold.settings import Settings
from projections.dossier import findings
from projections.versions import ReadStore
from schemas.events.rectification import RectificationRequired
from streams.testing import event, finding, read_records

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """No wall clock: time moves only when the test drives it."""
    return bus_settings.model_copy(
        update={"clock_interval": 0.0, "simulation": True, "router_commit_interval": 0.3}
    )


def cli(bus: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **bus.settings.to_env(), "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def logged(bus: Any, event_type: str) -> list[dict[str, Any]]:
    values = read_records(bus.container.access(OPERATOR), [bus.container.topics.log])
    return [e for e in (json.loads(v) for _, v in values) if e["event_type"] == event_type]


def test_driven_ticks_fire_deadlines_on_their_event_time(running_bus):
    bus = running_bus.start(projector=False)
    required = RectificationRequired(
        rectification_id="rect-sim",
        unit_id="city-education",
        description="Stop the banquets.",
        deadline=NOW - 10 * DAY,
        supervising_bodies=("stationed-education", "city-office-1"),
    )
    bus.publish(
        "city-office-1", event(required, "city-office-1", at=NOW - 30 * DAY, correlation_id="rect-sim")
    )
    bus.wait_until(lambda: logged(bus, "RectificationRequired"), 60, "the requirement")

    refused = cli(bus, "clock", "advance", "--to", NOW.isoformat(), FOURFOLD_SIMULATION="false")
    assert refused.returncode == 2 and "not configured for simulation" in refused.stdout + refused.stderr

    start, end = NOW - 12 * DAY, NOW - 8 * DAY
    done = cli(
        bus, "clock", "advance", "--from", start.isoformat(), "--to", end.isoformat(), "--step-hours", "24"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    bus.wait_until(lambda: len(logged(bus, "ClockTicked")) == 5, 60, "five driven ticks")
    bus.wait_until(lambda: logged(bus, "RectificationOverdue"), 60, "the overdue notice")
    [overdue] = logged(bus, "RectificationOverdue")
    ticks = {t["event_id"]: t for t in logged(bus, "ClockTicked")}
    cause = datetime.fromisoformat(
        ticks[overdue["causation_id"]]["payload"]["tick_at"].replace("Z", "+00:00")
    )
    assert cause == NOW - 9 * DAY  # the first driven tick past the deadline


def test_knowledge_time_and_event_time_views(running_bus, tmp_path):
    bus = running_bus.start(projector=True)
    early = finding("yuzhong-hospital", "yuzhong-commission", finding_id="f-early", at=NOW - 10 * DAY)
    late = finding("yuzhong-hospital", "yuzhong-commission", finding_id="f-late", at=NOW - DAY)
    bus.publish("yuzhong-commission", late)
    bus.wait_until(lambda: bus.inbox("city-office-1"), 60, "the first delivery")
    between = datetime.now(UTC)
    bus.publish("yuzhong-commission", early)  # an early fact, recorded late
    bus.wait_until(lambda: len(bus.inbox("city-office-1")) == 2, 60, "the second delivery")

    def knew(*args: str) -> str:
        done = cli(bus, "audit", "knew", "city-office-1", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    known_then = knew("--as-of", between.isoformat())
    happened = knew("--valid-at", (NOW - 5 * DAY).isoformat())
    both = knew("--as-of", between.isoformat(), "--valid-at", (NOW - 5 * DAY).isoformat())
    assert happened.count("SupervisionFindingRecorded") == 1  # only the early fact had happened
    assert known_then.count("SupervisionFindingRecorded") == 1  # only the late fact was known then
    assert both.count("SupervisionFindingRecorded") == 0  # and it had not happened by then

    into = f"sqlite:///{tmp_path / 'valid.db'}"
    done = cli(bus, "replay", "--valid-at", (NOW - 5 * DAY).isoformat(), "--into", into)
    assert done.returncode == 0, done.stdout + done.stderr
    with ReadStore(into).engine().connect() as conn:
        assert set(conn.scalars(select(findings.c.finding_id))) == {"f-early"}
