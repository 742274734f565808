"""Who may read a protected field, with their public keys: the directory the SDK seals for.

The bus's operator exports it from the registry on the log (``fourfold keys directory``) and hands
it to each agency with its credentials; it holds public data only. It answers, for a clue about a
unit (and cadre), which commission has jurisdiction, which of its offices see protected fields
(letters-and-visits and case management), and their current encryption keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producers.errors import EventRefused
from schemas import Envelope
from schemas.confidential import RecipientKey

FORMAT = "fourfold-key-directory/1"
UNIT_MANAGED = "unit"


@dataclass(frozen=True)
class Directory:
    """Recipients' public encryption keys and who reads the protected fields of which clue."""

    keys: dict[str, tuple[RecipientKey, ...]]
    """Body -> its registered, unrevoked encryption keys."""
    readers: dict[str, tuple[str, ...]]
    """Commission -> its offices that see protected fields."""
    commissions: dict[str, str]
    """Body -> the commission it is or belongs to."""
    unit_levels: dict[str, str]
    """Unit -> its level (municipal, district)."""
    holders: dict[str, dict[str, str]]
    """Unit -> cadre management level -> the commission with jurisdiction."""
    cadre_levels: dict[str, str]
    """Cadre -> its management level."""

    @classmethod
    def load(cls, path: Path) -> Directory:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Directory:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a key directory of format {FORMAT!r}")
        keys = {
            body: tuple(RecipientKey.from_text(body, k["key_id"], k["public_key"]) for k in entries)
            for body, entries in data["keys"].items()
        }
        readers = {c: tuple(bodies) for c, bodies in data["readers"].items()}
        return cls(
            keys, readers, data["commissions"], data["unit_levels"], data["holders"], data["cadre_levels"]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "keys": {
                b: [{"key_id": k.key_id, "public_key": k.text} for k in ks] for b, ks in self.keys.items()
            },
            "readers": {c: list(bodies) for c, bodies in self.readers.items()},
            "commissions": self.commissions,
            "unit_levels": self.unit_levels,
            "holders": self.holders,
            "cadre_levels": self.cadre_levels,
        }

    def clue_readers(self, unit_id: str, cadre_id: str | None) -> tuple[str, ...]:
        """Letters-and-visits and case management of the commission with jurisdiction over a clue."""
        level = self.cadre_levels.get(cadre_id or "", UNIT_MANAGED)
        if level == UNIT_MANAGED:
            level = self.unit_levels.get(unit_id, "")
        holder = self.holders.get(unit_id, {}).get(level)
        return self.readers.get(holder, ()) if holder else ()

    def body_readers(self, body_id: str) -> tuple[str, ...]:
        """Letters-and-visits and case management of the commission ``body_id`` is or belongs to."""
        commission = self.commissions.get(body_id)
        return self.readers.get(commission, ()) if commission else ()

    def recipients(self, event: Envelope[Any]) -> list[RecipientKey]:
        """The keys ``event``'s protected fields are sealed for: the readers of its jurisdiction (for a
        transfer, the new holder's) and its source; refused when no reader of the jurisdiction has a key."""
        p = event.payload
        if event.event_type == "ClueTransferred":
            readers = self.body_readers(p.to_body)
        elif hasattr(p, "unit_id"):
            readers = self.clue_readers(p.unit_id, getattr(p, "cadre_id", None))
        else:
            readers = self.body_readers(event.source_body)
        keys = [k for body in readers for k in self.keys.get(body, ())]
        if not keys:
            raise EventRefused(
                "no_recipients",
                f"{event.event_type} event {event.event_id}: the key directory names no encryption key of"
                " letters-and-visits or case management with jurisdiction; export a current one"
                " (fourfold keys directory) before publishing a protected field",
                event_type=event.event_type,
            )
        return keys + list(self.keys.get(event.source_body, ()))
