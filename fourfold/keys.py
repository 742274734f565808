"""Where bodies' private keys are kept on this machine: one key file per body, older keys retired."""

from __future__ import annotations

import re
from pathlib import Path

from producers.keyfile import read_key_file, write_key_file
from schemas import SigningKey


class KeyStore:
    """Private keys under one directory, readable by the owner only. Each file names its key id
    (``body:1``, ``body:2`` ...); a body's new key retires the old one under ``retired/``."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, body_id: str) -> Path:
        return self.directory / f"{body_id}.pem"

    def key_id(self, body_id: str) -> str:
        """The id of the body's current key; ``body:1`` for a key file from before key ids were kept."""
        return self.load(body_id).key_id if self.path(body_id).exists() else f"{body_id}:1"

    def load(self, body_id: str) -> SigningKey:
        return read_key_file(self.path(body_id), default_key_id=f"{body_id}:1")

    def load_or_create(self, body_id: str) -> SigningKey:
        if self.path(body_id).exists():
            return self.load(body_id)
        return self.create(body_id)

    def create(self, body_id: str) -> SigningKey:
        """A new key for the body: ``body:1``, or the next id after its current key, which is retired."""
        path = self.path(body_id)
        key_id = f"{body_id}:1"
        if path.exists():
            current = self.load(body_id)
            key_id = f"{body_id}:{_number(current.key_id) + 1}"
            write_key_file(self.directory / "retired" / f"{body_id}.{_number(current.key_id)}.pem", current)
        key = SigningKey.generate(key_id)
        write_key_file(path, key)
        return key


def _number(key_id: str) -> int:
    match = re.fullmatch(r".*:(\d+)", key_id)
    return int(match.group(1)) if match else 1
