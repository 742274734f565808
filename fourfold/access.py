"""Where each Kafka principal's password is kept: one 0600 file per principal."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from schemas.access import SCRAM, KafkaAccess
from schemas.files import private_dir

__all__ = ["SCRAM", "CredentialsMissing", "KafkaAccess", "Passwords"]


class CredentialsMissing(RuntimeError):
    """Raised when a process has no password for the principal it must connect as."""


class Passwords:
    """One password file per principal under ``directory`` (0600 in a 0700 directory).

    On the local bus ``fourfold`` makes them (the broker's SCRAM credentials are set from them);
    an agency on a production cluster is given its own file by the cluster's operator.
    """

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, principal: str) -> Path:
        return self.directory / f"{principal}.password"

    def get(self, principal: str) -> str:
        path = self.path(principal)
        if not path.exists():
            raise CredentialsMissing(
                f"no password for Kafka principal {principal!r} at {path}: the cluster's operator gives"
                " each principal its file (on the local bus, fourfold makes them as it provisions)"
            )
        return path.read_text().strip()

    def ensure(self, principal: str) -> str:
        """The principal's password, made (random, 32 bytes) if it has none yet."""
        path = self.path(principal)
        if not path.exists():
            private_dir(self.directory)
            fd, partial = tempfile.mkstemp(dir=self.directory, prefix=f".{principal}.")  # 0600
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
            try:  # whole, and by exactly one process: one racing it reads what the first wrote
                os.link(partial, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(partial)
        return self.get(principal)
