"""The SDK guide's complete example, copied out of docs/sdk.md and run as an agency would run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.operations import provision, read_topic

pytestmark = pytest.mark.integration

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
BODY = "city-office-1"


def _example() -> str:
    """The first Python block after the guide's "A complete example" heading."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/sdk.md has no Python block under 'A complete example'"
    return match.group(1)


def test_the_guide_example_publishes_through_the_outbox_and_reports_delivery(
    container: Container, tmp_path: Path
) -> None:
    provision(container, [BODY])
    container.keys.create(BODY)
    script = tmp_path / "publish_example.py"
    script.write_text(_example(), encoding="utf-8")
    bootstrap = container.ensure_broker()
    command = [
        sys.executable, str(script),
        "--body", BODY,
        "--key", str(container.keys.path(BODY)),
        "--bootstrap", bootstrap,
        "--password-file", str(container.passwords.path(BODY)),
        "--ca", str(container.settings.ca_file),
        "--prefix", container.settings.topic_prefix,
        "--outbox", str(tmp_path / "outbox.db"),
    ]  # fmt: skip

    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    reported = re.findall(r"^(\S+) sent partition \d+ offset \d+$", result.stdout, re.MULTILINE)
    assert len(reported) == 2, result.stdout
    records = read_topic(container.access(OPERATOR), container.topics.ingest(BODY))
    assert {r["event_id"] for r in records} == set(reported)
    assert sorted(r["event_type"] for r in records) == ["RectificationRequired", "SupervisionFindingRecorded"]
