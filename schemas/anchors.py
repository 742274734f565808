"""Trust anchors: the keys trusted without a registration on the log, each with its validity.

The registrar's key signs every registration, so it cannot itself be registered: the bus takes it
from a file the operator gives it (``trust-anchors.json``). Several anchors, each valid for a
period, let the registrar's key be rotated without a gap (docs/security.md says how).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.signing import VerifyKey


@dataclass(frozen=True)
class Anchor:
    """A key trusted for ``body_id`` from ``valid_from`` until (not including) ``valid_until``."""

    body_id: str
    key: VerifyKey
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def valid_at(self, at: datetime | None) -> bool:
        if at is None:
            return True
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )

    def to_json(self) -> dict[str, str | None]:
        return {
            "body_id": self.body_id,
            "key_id": self.key.key_id,
            "public_key": self.key.text,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Anchor:
        def when(name: str) -> datetime | None:
            value = data.get(name)
            return datetime.fromisoformat(value) if value else None

        key = VerifyKey.from_text(str(data["key_id"]), str(data["public_key"]))
        return cls(str(data["body_id"]), key, when("valid_from"), when("valid_until"))


def read_anchors(path: Path) -> tuple[Anchor, ...]:
    """The anchors in ``path``: a JSON list of {body_id, key_id, public_key, valid_from, valid_until}."""
    entries = json.loads(path.read_text())
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path} lists no trust anchor")
    return tuple(Anchor.from_json(entry) for entry in entries)


def anchors_text(anchors: tuple[Anchor, ...]) -> str:
    return json.dumps([a.to_json() for a in anchors], indent=2) + "\n"
