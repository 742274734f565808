"""The SDK stays light: importing it pulls in neither faust, SQLAlchemy nor the bus, and connects nowhere."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import producers, sys
heavy = [m for m in ("faust", "sqlalchemy", "fourfold", "streams", "projections") if m in sys.modules]
assert not heavy, heavy
assert not any(m.startswith("pydantic_settings") for m in sys.modules)
"""


def test_import_producers_pulls_in_neither_faust_nor_sqlalchemy():
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.getcwd()}  # an empty FOURFOLD_ environment
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
