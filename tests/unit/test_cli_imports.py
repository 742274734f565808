"""The command line imports what a command needs when it runs: `fourfold --help` loads no Kafka
client, faust, SQLAlchemy, FastAPI, nor the event catalogue or the SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("faust", "sqlalchemy", "fastapi", "uvicorn", "kafka", "aiokafka", "schemas", "producers")

PROBE = """
import json, sys
import fourfold.cli
loaded = lambda: sorted({m.split(".")[0] for m in sys.modules} & set(WATCHED))
at_import = loaded()
try:
    fourfold.cli.app(ARGS)
except SystemExit:
    pass
print(json.dumps([at_import, loaded()]))
"""


def _loaded(*args: str) -> tuple[list[str], list[str]]:
    """In a fresh process: what ``import fourfold.cli`` loaded, then what running ``args`` had."""
    code = f"WATCHED = {(*HEAVY, 'rich')!r}\nARGS = {list(args)!r}\n" + PROBE
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    at_import, after = json.loads(done.stdout.strip().splitlines()[-1])
    return at_import, after


@pytest.mark.parametrize(
    "args", [["--help"], ["tokens", "--help"], ["keys", "new", "--help"], ["registry", "--help"]]
)
def test_the_cli_and_its_help_import_nothing_heavy(args: list[str]) -> None:
    at_import, after = _loaded(*args)
    assert at_import == []  # not even rich, until something is printed
    assert after == ["rich"]
