"""Commands over the read models, through the CLI on a bus on the real broker: audit and tokens."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from fourfold.bootstrap import Container
from fourfold.demo import scenario
from projections import tokens
from projections.clues import clue_custody

pytestmark = pytest.mark.e2e


def _fourfold(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **container.settings.to_env(), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )


def _spells(container: Container, clue_id: str) -> int:
    query = select(func.count()).select_from(clue_custody).where(clue_custody.c.clue_id == clue_id)
    with container.engine.connect() as conn:
        return conn.scalar(query) or 0


def test_audit_of_an_unknown_clue_says_so_and_tokens_are_issued_for_several_bodies(running_bus):
    bus = running_bus.start()
    clue = scenario()[0]  # received in a district, transferred up to the city commission
    bus.publish(clue.body_id, clue.event)
    bus.wait_until(lambda: _spells(bus.container, "clue-0001") == 2, 90, "the clue's custody")

    held = _fourfold(bus.container, "audit", "clue", "clue-0001")
    assert held.returncode == 0, held.stdout + held.stderr
    assert "Custody of clue-0001 (2)" in held.stdout and "city-commission" in held.stdout

    unknown = _fourfold(bus.container, "audit", "clue", "clue-9999")
    assert unknown.returncode == 1, unknown.stdout + unknown.stderr
    assert "Traceback" not in unknown.stdout + unknown.stderr
    assert "Clue clue-9999 is unknown: it has no custody on the log" in unknown.stdout

    bodies = ["city-commission", "city-letters", "yuzhong-commission"]
    issued = _fourfold(bus.container, "tokens", "issue", *bodies)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    lines = [line.split() for line in issued.stdout.splitlines()]
    assert [body for body, _ in lines] == bodies
    keys = bus.container.identity.engine  # the identity database, not the read models'
    assert [tokens.authenticate(keys, token) for _, token in lines] == bodies


def test_a_token_for_a_body_the_projector_has_not_reached_is_issued_with_a_note(running_bus):
    bus = running_bus.start(projector=False)  # the router took the registry in; nothing is projected

    issued = _fourfold(bus.container, "tokens", "issue", "city-commission")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    [token] = issued.stdout.split()
    assert tokens.authenticate(bus.container.identity.engine, token) == "city-commission"
    assert "city-commission is registered on the log, but the projector has not reached" in issued.stderr

    refused = _fourfold(bus.container, "tokens", "issue", "city-letters", "no-such-body")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""
    assert "no-such-body is not a registered body" in refused.stderr
    assert "No token issued." in refused.stderr
    listed = tokens.listed(bus.container.identity.engine)
    assert [row["body_id"] for row in listed] == ["city-commission"]
