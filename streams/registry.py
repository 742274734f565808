"""The reference data the router needs, rebuilt from reference events (the last fact logged wins).

Facts about one entity are taken in the order they were logged, never by the time they claim:
the gate refuses a fact dated before the entity's current one, and a revoked key stays revoked.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from schemas import Envelope, VerifyKey
from schemas.anchors import Anchor
from schemas.enums import BodyKind, JurisdictionRole
from schemas.events.reference import (
    BodyRegistered,
    CadreRegistered,
    EncryptionKeyRegistered,
    EncryptionKeyRevoked,
    JurisdictionAssigned,
    RegionRegistered,
    SigningKeyRegistered,
    SigningKeyRevoked,
    UnitRegistered,
)

T = TypeVar("T")

MEMO_SIZE = 10_000
"""Most jurisdiction answers the registry remembers at once (``Registry.memo``)."""


class UnknownKey(LookupError):
    """Raised when an event names a signing key never registered to its source body."""


class RevokedKey(LookupError):
    """Raised when an event is signed with a key its body has revoked."""


class ReferenceConflict(ValueError):
    """Raised when a reference fact contradicts what is known; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def entity_key(event: Envelope[Any]) -> str:
    """The compaction key of a reference event: one entity, one latest fact."""
    p = event.payload
    match p:
        case RegionRegistered():
            return f"region:{p.region_id}"
        case BodyRegistered():
            return f"body:{p.body_id}"
        case UnitRegistered():
            return f"unit:{p.unit_id}"
        case CadreRegistered():
            return f"cadre:{p.cadre_id}"
        case JurisdictionAssigned():
            return f"jurisdiction:{p.body_id}:{p.role}"
        case SigningKeyRegistered() | SigningKeyRevoked():
            return f"key:{p.body_id}:{p.key_id}"
        case EncryptionKeyRegistered() | EncryptionKeyRevoked():
            return f"enckey:{p.body_id}:{p.key_id}"
    raise ValueError(f"{event.event_type} is not reference data")


class Registry:
    """Regions, bodies, units, cadres, jurisdictions and keys, as of the reference events applied."""

    def __init__(self) -> None:
        self._latest: dict[str, Envelope[Any]] = {}
        self._by_section: dict[str, dict[str, Envelope[Any]]] = {}
        """The same facts by the first part of their key ("body", "jurisdiction:<role>"...)."""
        self._anchors: dict[tuple[str, str], Anchor] = {}
        self._applied: set[str] = set()
        self._revoked: set[str] = set()
        self._memo: dict[Hashable, Any] = {}

    def trust(self, anchor: Anchor) -> None:
        """Accept ``anchor``'s key for its body without a registration, within its validity."""
        self._anchors[(anchor.body_id, anchor.key.key_id)] = anchor

    def check(self, event: Envelope[Any]) -> None:
        """Raise ReferenceConflict if ``event`` may not follow the facts known about its entity."""
        key = entity_key(event)
        known = self._latest.get(key)
        if isinstance(event.payload, SigningKeyRegistered | EncryptionKeyRegistered):
            if key in self._revoked:
                raise ReferenceConflict(
                    "revoked_key",
                    f"key {event.payload.key_id!r} was revoked; a revoked key id is never reused",
                )
            if known is not None and known.payload.public_key != event.payload.public_key:
                raise ReferenceConflict(
                    "duplicate_id_reuse", f"key id {event.payload.key_id!r} is registered to another key"
                )
        if known is not None and event.occurred_at < known.occurred_at:
            raise ReferenceConflict(
                "out_of_order",
                f"{key} has a fact dated {known.occurred_at.isoformat()}; a new one must be later",
            )

    def apply(self, event: Envelope[Any]) -> bool:
        """Take a logged reference event once; a revoked key's registration never comes back."""
        event_id = str(event.event_id)
        if event_id in self._applied:
            return False
        self._applied.add(event_id)
        key = entity_key(event)
        if isinstance(event.payload, SigningKeyRevoked | EncryptionKeyRevoked):
            self._revoked.add(key)
        elif key in self._revoked:
            return False
        self._latest[key] = event
        self._by_section.setdefault(_section(key), {})[key] = event
        self._memo.clear()
        return True

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered until the reference data next changes or ``MEMO_SIZE`` answers
        are remembered. Jurisdiction lookups scan the registry, and the router asks the same few for
        every event it routes; some name a cadre, of whom there are too many to remember all."""
        if key not in self._memo:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def __len__(self) -> int:
        return len(self._latest)

    def region(self, region_id: str) -> RegionRegistered | None:
        return self._get(f"region:{region_id}", RegionRegistered)

    def body(self, body_id: str) -> BodyRegistered | None:
        return self._get(f"body:{body_id}", BodyRegistered)

    def unit(self, unit_id: str) -> UnitRegistered | None:
        return self._get(f"unit:{unit_id}", UnitRegistered)

    def cadre(self, cadre_id: str) -> CadreRegistered | None:
        return self._get(f"cadre:{cadre_id}", CadreRegistered)

    def bodies(self, kind: BodyKind | None = None) -> Iterator[BodyRegistered]:
        for event in self._by_section.get("body", {}).values():
            if kind is None or event.payload.kind == kind:
                yield event.payload

    def units(self) -> Iterator[UnitRegistered]:
        for event in self._by_section.get("unit", {}).values():
            yield event.payload

    def cadres(self) -> Iterator[CadreRegistered]:
        for event in self._by_section.get("cadre", {}).values():
            yield event.payload

    def jurisdictions(self, role: JurisdictionRole) -> Iterator[JurisdictionAssigned]:
        for event in self._by_section.get(f"jurisdiction:{role}", {}).values():
            yield event.payload

    def encryption_keys(self, body_id: str | None = None) -> Iterator[EncryptionKeyRegistered]:
        """Registered, unrevoked encryption keys (of ``body_id``, or of every body), oldest first."""
        for event in self._by_section.get("enckey", {}).values():
            p = event.payload
            if isinstance(p, EncryptionKeyRegistered) and body_id in (None, p.body_id):
                yield p

    def region_chain(self, region_id: str) -> list[str]:
        """The region and its ancestors, nearest first."""
        return list(self.memo(("region_chain", region_id), lambda: self._region_chain(region_id)))

    def _region_chain(self, region_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = region_id
        while current is not None and current not in chain:
            chain.append(current)
            region = self.region(current)
            current = region.parent_region_id if region else None
        return chain

    def verify_key(self, body_id: str, key_id: str | None, at: datetime | None = None) -> VerifyKey:
        """The registered, unrevoked public key ``key_id`` of ``body_id``; an anchor only if it is
        valid at ``at`` (when the bus received the event)."""
        anchor = self._anchors.get((body_id, key_id or ""))
        if anchor is not None:
            if not anchor.valid_at(at):
                raise RevokedKey(f"trust anchor {key_id!r} of {body_id!r} is not valid at {at}")
            return anchor.key
        event = self._latest.get(f"key:{body_id}:{key_id}")
        if event is None:
            raise UnknownKey(f"key {key_id!r} is not registered to body {body_id!r}")
        if isinstance(event.payload, SigningKeyRevoked):
            raise RevokedKey(f"key {key_id!r} of body {body_id!r} was revoked: {event.payload.reason}")
        return _verify_key(event.payload.key_id, event.payload.public_key)

    def _get(self, key: str, cls: type[T]) -> T | None:
        event = self._latest.get(key)
        return event.payload if event is not None and isinstance(event.payload, cls) else None


@lru_cache(maxsize=4096)
def _verify_key(key_id: str, public_key: str) -> VerifyKey:
    """A registered key, parsed once rather than for every event it signed."""
    return VerifyKey.from_text(key_id, public_key)


def _section(key: str) -> str:
    kind, _, rest = key.partition(":")
    return f"jurisdiction:{rest.rsplit(':', 1)[1]}" if kind == "jurisdiction" else kind
