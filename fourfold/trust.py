"""The bus's own secrets and trust anchors: made once by ``fourfold init``, required by every bus process.

- the trust anchors (``trust-anchors.json``): the registrar's public keys with their validity;
- the bus's signing key (``keys/bus.pem``), which signs derived events and the clock's ticks;
- the seal key (``keys/bus.seal``), which the router seals its records with and every reader checks.

A worker never makes these up: without them it stops and says how to get them, so a bus cannot
quietly start trusting a new registrar key of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fourfold.keys import KeyStore
from schemas import SigningKey
from schemas.anchors import Anchor, anchors_text, read_anchors
from schemas.files import private_dir
from schemas.seal import Seal


class TrustMissing(RuntimeError):
    """Raised when a bus process starts without its trust anchors or secrets."""


@dataclass(frozen=True)
class TrustFiles:
    anchors: Path
    seal: Path
    keys: KeyStore
    registrar_body: str
    bus_body: str

    def init(self) -> list[str]:
        """Create what is missing (a local registrar's key among it); returns what was made."""
        made = []
        if not self.keys.path(self.bus_body).exists():
            self.keys.create(self.bus_body)
            made.append(f"bus key {self.keys.path(self.bus_body)}")
        if not self.seal.exists():
            _write_private(self.seal, Seal.generate().to_text() + "\n")
            made.append(f"seal key {self.seal}")
        if not self.anchors.exists():
            registrar = self.keys.load_or_create(self.registrar_body)
            anchor = Anchor(self.registrar_body, registrar.verify_key, valid_from=None)
            _write_private(self.anchors, anchors_text((anchor,)))
            made.append(f"trust anchors {self.anchors} ({registrar.key_id})")
        return made

    def rotate_registrar(self, overlap_until: datetime | None = None) -> SigningKey:
        """A new registrar key, trusted from now; the current anchors stay valid until
        ``overlap_until`` (now when not given)."""
        now = datetime.now(UTC)
        ends = overlap_until or now
        kept = tuple(
            a
            if a.valid_until is not None and a.valid_until <= ends
            else Anchor(a.body_id, a.key, a.valid_from, ends)
            for a in self.load_anchors()
        )
        key = self.keys.create(self.registrar_body)
        _write_private(self.anchors, anchors_text((*kept, Anchor(self.registrar_body, key.verify_key, now))))
        return key

    def check(self) -> None:
        """Raise TrustMissing unless the anchors, the seal key and the bus key can all be read."""
        self.load_anchors()
        self.load_seal()
        self.load_bus_key()

    def load_anchors(self) -> tuple[Anchor, ...]:
        if not self.anchors.exists():
            raise TrustMissing(
                f"no trust anchors at {self.anchors}: run `fourfold init`, or install the file"
            )
        return read_anchors(self.anchors)

    def load_seal(self) -> Seal:
        if not self.seal.exists():
            raise TrustMissing(f"no seal key at {self.seal}: run `fourfold init` on the bus's home")
        return Seal.from_file(self.seal)

    def load_bus_key(self) -> SigningKey:
        if not self.keys.path(self.bus_body).exists():
            raise TrustMissing(f"no bus key at {self.keys.path(self.bus_body)}: run `fourfold init`")
        return self.keys.load(self.bus_body)


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` 0600 in a 0700 directory, replacing it atomically."""
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(partial, path)
