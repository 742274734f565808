"""The bus's seal: a MAC the router puts on every record it writes, so readers take only those.

Anything that can reach the broker can write a record into the log, the reference topic or an
inbox. Readers behind the router (its own state and registry feeds, the projector, replay) must
therefore tell the router's records from anyone else's. Each record the router writes carries a
header ``ff-seal``: HMAC-SHA256, under the bus's seal key, of the topic it was written to, its key
and its value. A record without a valid seal is refused by every reader; binding the topic means a
sealed record copied to another topic (another body's inbox, say) fails too.

Why a MAC and not a signature per record: verifying an Ed25519 signature costs 70-280 µs, more
than projecting the record; a MAC costs about a microsecond. The seal key is held only by the bus's
own processes (router, projector, replay) under ``FOURFOLD_HOME``; bodies, their SDK and anyone on
the network never see it. Events keep their source body's signature, checked once at the gate.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import Counter

log = logging.getLogger(__name__)

SEAL_HEADER = "ff-seal"
KEY_BYTES = 32
MAC_BYTES = 32
"""HMAC-SHA256."""

INTEGRITY_FAILURES = Counter(
    "fourfold_integrity_failures",
    "Records a reader refused because the bus did not write them, by reader and reason",
    ["reader", "reason"],
)

Headers = Sequence[tuple[str, bytes | None]]


class Seal:
    """Seals and checks records with one secret key."""

    def __init__(self, key: bytes):
        if len(key) < KEY_BYTES:
            raise ValueError(f"a seal key has at least {KEY_BYTES} bytes")
        self._key = key

    @classmethod
    def generate(cls) -> Seal:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_file(cls, path: Path) -> Seal:
        return cls(bytes.fromhex(path.read_text().strip()))

    def to_text(self) -> str:
        return self._key.hex()

    def mac(self, topic: str, key: bytes | None, value: bytes | None) -> bytes:
        digest = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in (topic.encode(), key, value):
            if part is None:
                digest.update(b"\xff" * 8)
            else:
                digest.update(len(part).to_bytes(8, "big"))
                digest.update(part)
        return digest.digest()

    def sealed(self, topic: str, key: bytes, value: bytes) -> bytes:
        """``value`` with its MAC in front, to be kept outside Kafka (the router's saved state)."""
        return self.mac(topic, key, value) + value

    def opened(self, topic: str, key: bytes, data: bytes) -> bytes | None:
        """The value ``sealed`` sealed under ``topic`` and ``key``; None if its MAC does not match."""
        mac, value = data[:MAC_BYTES], data[MAC_BYTES:]
        return value if hmac.compare_digest(mac, self.mac(topic, key, value)) else None

    def headers(self, topic: str, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        """The headers to write with a record so that readers accept it."""
        return [(SEAL_HEADER, self.mac(topic, key, value))]

    def refusal(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers | None
    ) -> str | None:
        """Why a record read from ``topic`` is not the bus's (``unsealed``, ``bad_seal``), or None."""
        found = [v for k, v in headers or () if k == SEAL_HEADER]
        if not found or found[0] is None:
            return "unsealed"
        if len(found) > 1 or not hmac.compare_digest(found[0], self.mac(topic, key, value)):
            return "bad_seal"
        return None


def refused(reader: str, reason: str, topic: str, partition: int, offset: int) -> None:
    """Count and log a refused record by its place only: its content may be anyone's."""
    INTEGRITY_FAILURES.labels(reader=reader, reason=reason).inc()
    log.warning("%s refused %s/%d@%d: %s", reader, topic, partition, offset, reason)
