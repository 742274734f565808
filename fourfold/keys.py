"""Where bodies' private keys are kept on this machine: one PEM file per body."""

from __future__ import annotations

import os
from pathlib import Path

from schemas import SigningKey


class KeyStore:
    """Private keys under one directory, readable by the owner only."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, body_id: str) -> Path:
        return self.directory / f"{body_id}.pem"

    def key_id(self, body_id: str) -> str:
        return f"{body_id}:1"

    def load(self, body_id: str) -> SigningKey:
        return SigningKey.from_pem(self.key_id(body_id), self.path(body_id).read_bytes())

    def load_or_create(self, body_id: str) -> SigningKey:
        if self.path(body_id).exists():
            return self.load(body_id)
        return self.create(body_id)

    def create(self, body_id: str) -> SigningKey:
        key = SigningKey.generate(self.key_id(body_id))
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(body_id)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.to_pem())
        return key
