"""`fourfold registry FILE` checks the whole file first: an invalid one creates and publishes nothing."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fourfold.bootstrap import Container
from fourfold.registrar import DEMO_REGISTRY

pytestmark = pytest.mark.integration


def _fourfold(container: Container, *args: str) -> tuple[int, str]:
    env = {**os.environ, **container.settings.to_env(), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=180,
        check=False,
    )
    return done.returncode, done.stdout


def _files(directory: Path) -> set[Path]:
    return set(directory.rglob("*")) if directory.exists() else set()


def test_a_file_with_invalid_entries_creates_nothing_publishes_nothing_and_names_every_problem(
    container: Container, tmp_path: Path
) -> None:
    data = json.loads(DEMO_REGISTRY.read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["bodies"][1]["body_id"] = "City Leadership"
    bad["bodies"][4]["kind"] = "letters"
    bad["units"][2]["sector"] = "Health"
    bad["cadres"][0]["unit_id"] = "City/Education"
    bad["jurisdictions"][3]["region_ids"] = ["yuzhong", "Jiangbei District"]
    file = tmp_path / "registry.json"
    file.write_text(json.dumps(bad), encoding="utf-8")
    keys_before = _files(container.settings.keys_dir)

    code, output = _fourfold(container, "registry", str(file))

    assert code == 2, output
    assert "Traceback" not in output
    assert "5 problem(s); nothing was created or published" in output
    identifier = "must be an identifier: 1 to 64 characters, each a lower-case letter a-z, a digit 0-9"
    for expected in (
        f"bodies[1] ('City Leadership'): body_id: {identifier}",
        "bodies[4] ('city-letters'): kind: must be one of 'commission',",
        "units[2] ('yuzhong-hospital'): sector: must be a sector: 1 to 40 characters",
        f"cadres[0] ('cadre-zhao'): unit_id: {identifier}",
        f"jurisdictions[3] ('city-office-1'): region_ids[1]: {identifier}",
    ):
        assert expected in output, f"{expected!r} not in:\n{output}"
    prefix = re.escape(container.settings.topic_prefix)
    assert container.admin.existing(rf"^{prefix}\.") == [], "topics were created"
    assert _files(container.settings.keys_dir) == keys_before, "keys were made"

    file.write_text(json.dumps(data), encoding="utf-8")  # the same file, corrected, goes through
    code, output = _fourfold(container, "registry", str(file))
    assert code == 0, output
    assert container.admin.existing(rf"^{prefix}\.ingest\.city-leadership$")
