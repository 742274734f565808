"""`fourfold publish` and `fourfold keys new`, run as an agency would run them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.operations import provision, read_topic

pytestmark = pytest.mark.integration

BODY = "yuzhong-letters"


def _fourfold(container: Container, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, **container.settings.to_env(), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,  # type: ignore[arg-type]
    )


def _run(container: Container, *args: str) -> tuple[int, str]:
    process = _fourfold(container, *args)
    output, _ = process.communicate(timeout=180)
    return process.returncode, output


def _finding_line(i: int, **overrides: object) -> str:
    payload = {
        "finding_id": f"finding-{i}",
        "unit_id": "yuzhong-hospital",
        "category": "eight_point_rules",
        "severity": "medium",
        "how_found": "letters_visits",
        "summary": f"Report {i}: banquets paid from public funds.",
    }
    line = {
        "event_type": "SupervisionFindingRecorded",
        "occurred_at": "2026-03-02T09:30:00+08:00",
        "payload": payload,
    }
    return json.dumps({**line, **overrides}, ensure_ascii=False)


def _on_topic(container: Container, body_id: str) -> list[dict[str, Any]]:
    """What ``body_id``'s ingest topic holds, read as the operator."""
    return read_topic(container.access(OPERATOR), container.topics.ingest(body_id))


def _outbox_rows(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return db.execute("SELECT event_id, state FROM outbox").fetchall()
        except sqlite3.OperationalError:  # the table is not created yet
            return []


@pytest.fixture
def body_key(container: Container) -> Path:
    provision(container, [BODY])
    container.keys.create(BODY)
    return container.keys.path(BODY)


def test_publish_refuses_bad_lines_with_reasons_and_exits_non_zero(
    container: Container, body_key: Path, tmp_path: Path
):
    file = tmp_path / "findings.jsonl"
    lines = [_finding_line(i) for i in range(10)]
    lines[3] = "{not json"
    lines[6] = _finding_line(6, occurred_at="2026-03-02 09:30")  # no time zone
    lines[8] = json.dumps(
        {"event_type": "SystemicIssueDetected", "occurred_at": "2026-03-02T00:00:00Z", "payload": {}}
    )
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, output = _run(container, "publish", "--as", BODY, "--key", str(body_key), str(file))

    assert code == 1, output
    report = [json.loads(x) for x in (tmp_path / "findings.jsonl.refused.jsonl").read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in report] == [(4, "unreadable"), (7, "invalid"), (9, "invalid")]
    assert any("occurred_at" in p and "timezone" in p for p in report[1]["problems"])
    on_topic = _on_topic(container, BODY)
    assert sorted(e["payload"]["finding_id"] for e in on_topic) == [
        f"finding-{i}" for i in (0, 1, 2, 4, 5, 7, 9)
    ]

    code, output = _run(container, "publish", "--as", BODY, "--key", str(body_key), str(file))
    assert code == 1 and "already accepted by an earlier run │ 7" in output
    assert len(_on_topic(container, BODY)) == 7


def test_killed_mid_run_a_restart_resumes_from_the_outbox(
    container: Container, body_key: Path, tmp_path: Path
):
    total = 4000
    file = tmp_path / "findings.jsonl"
    file.write_text("\n".join(_finding_line(i) for i in range(total)) + "\n", encoding="utf-8")
    outbox = container.settings.outbox_file
    args = ("publish", "--as", BODY, "--key", str(body_key), str(file))

    first = _fourfold(container, *args)
    deadline = time.monotonic() + 90
    while len(_outbox_rows(outbox)) < 500 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL, "the first run must die mid-run, not finish"
    accepted = {event_id for event_id, _ in _outbox_rows(outbox)}
    assert 0 < len(accepted) < total

    code, output = _run(container, *args)
    assert code == 0, output

    rows = _outbox_rows(outbox)
    assert len(rows) == total and {state for _, state in rows} == {"sent"}
    assert accepted <= {event_id for event_id, _ in rows}
    on_topic = Counter(e["event_id"] for e in _on_topic(container, BODY))
    duplicates = sum(n - 1 for n in on_topic.values())
    print(f"\nkilled after {len(accepted)} accepted; {len(on_topic)} distinct on the topic,", end=" ")
    print(f"{duplicates} duplicates")
    assert set(on_topic) == {event_id for event_id, _ in rows}


def test_keys_new_registers_each_new_key_under_a_new_key_id(container: Container):
    for expected in (f"{BODY}:1", f"{BODY}:2"):
        code, output = _run(container, "keys", "new", BODY)
        assert code == 0, output
        assert container.keys.key_id(BODY) == expected
    registrar = container.settings.registrar_body
    records = _on_topic(container, registrar)
    registered = [r["payload"] for r in records if r["event_type"] == "SigningKeyRegistered"]
    assert [r["key_id"] for r in registered] == [f"{BODY}:1", f"{BODY}:2"]
    assert registered[1]["public_key"] == container.keys.load(BODY).verify_key.text
    assert (container.keys.directory / "retired" / f"{BODY}.1.pem").exists()


def test_keys_revoke_publishes_the_revocation_with_its_reason(container: Container):
    code, output = _run(container, "keys", "new", BODY)
    assert code == 0, output

    code, output = _run(container, "keys", "revoke", BODY, f"{BODY}:1", "--reason", "Laptop lost.")

    assert code == 0, output
    assert f"fourfold keys new {BODY}" in output  # it was the current key: say how to replace it
    registrar = container.settings.registrar_body
    records = _on_topic(container, registrar)
    facts = [(r["event_type"], r["payload"]["key_id"]) for r in records]
    assert facts == [("SigningKeyRegistered", f"{BODY}:1"), ("SigningKeyRevoked", f"{BODY}:1")]
    assert records[0]["correlation_id"] == records[1]["correlation_id"]  # one partition, in order
    assert records[1]["payload"]["reason"] == "Laptop lost."


def test_keys_revoke_refuses_an_invalid_key_id_without_publishing(container: Container):
    code, output = _run(container, "keys", "revoke", BODY, "no spaces allowed", "--reason", "Leaked.")

    assert code == 2
    assert "key_id" in output
    registrar = container.settings.registrar_body
    container.admin.ensure_body([registrar])
    assert _on_topic(container, registrar) == []


def test_ctrl_c_stops_between_lines_and_keeps_what_was_accepted(
    container: Container, body_key: Path, tmp_path: Path
):
    total = 4000
    file = tmp_path / "findings.jsonl"
    file.write_text("\n".join(_finding_line(i) for i in range(total)) + "\n", encoding="utf-8")
    outbox = container.settings.outbox_file
    run = _fourfold(container, "publish", "--as", BODY, "--key", str(body_key), str(file))
    deadline = time.monotonic() + 90
    while len(_outbox_rows(outbox)) < 500 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    run.send_signal(signal.SIGINT)
    output, _ = run.communicate(timeout=60)

    assert run.returncode == 130, output
    stopped_after = int(output.split("Interrupted after line ")[1].split(":")[0])
    assert 500 <= stopped_after < total
    assert len(_outbox_rows(outbox)) == stopped_after  # every line read was stored whole
