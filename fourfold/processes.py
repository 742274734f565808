"""Runs the bus's own long-lived commands (router worker, projector) as child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from schemas.files import private_file


class Child:
    """One ``fourfold`` subcommand in the background, logging to a file."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None):
        self.name = name
        self.log_path = private_file(log_dir / f"{name}.log")  # 0600 in a 0700 directory
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fourfold.cli", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            umask=0o077,  # whatever the child writes (SQLite files, logs) is its owner's only
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        """End it at once, as a crash would."""
        self.process.kill()
        self.process.wait()
        self._log.close()
