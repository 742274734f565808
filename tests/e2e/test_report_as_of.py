"""`fourfold report --as-of` on a bus on the real broker: the report is made from a replay as the log
stood then, and names the same digest as `fourfold replay --as-of` of that moment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from fourfold.bootstrap import Container
from fourfold.demo import scenario

pytestmark = pytest.mark.e2e


def _fourfold(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **container.settings.to_env(), "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )


def test_a_report_as_of_a_moment_is_made_from_the_replay_of_that_moment(running_bus, tmp_path):
    bus = running_bus.start()
    clue = scenario()[0]  # received in a district, transferred up: one clue received, one transferred
    bus.publish(clue.body_id, clue.event)
    bus.wait_until(
        lambda: any(r["event_type"] == "ClueTransferred" for r in bus.inbox("city-commission")),
        90,
        "the clue's transfer",
    )
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    made = _fourfold(
        bus.container,
        "report",
        "--half",
        "2026H1",
        "--as-of",
        moment,
        "--out",
        str(tmp_path / "r.html"),
        "--lang",
        "en",
    )
    assert made.returncode == 0, made.stdout + made.stderr
    [reported] = re.findall(r"digest ([0-9a-f]{64})", made.stdout.replace("\n", ""))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert reported in page
    cells = r"<td>Problem clues received</td>((?:\s*<td[^>]*>.*?</td>)+)"
    received = re.search(cells, page.replace("\n", ""))
    assert received is not None and "<b>1</b>" in received[1]

    replayed = _fourfold(bus.container, "replay", "--as-of", moment)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"digest {reported}" in replayed.stdout
