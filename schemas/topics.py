"""Every topic name of the bus, derived from one prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    """Topic names; a unique prefix gives a test or a tenant a bus of its own."""

    prefix: str = "fourfold"

    def ingest(self, body_id: str) -> str:
        """Where one body publishes; nothing here is trusted before the router checks it."""
        return f"{self.prefix}.ingest.{body_id}"

    def inbox(self, body_id: str) -> str:
        """What the router delivered to one body."""
        return f"{self.prefix}.inbox.{body_id}"

    @property
    def ingest_pattern(self) -> str:
        return rf"^{re.escape(self.prefix)}\.ingest\.[a-z0-9_-]+$"

    @property
    def inbox_pattern(self) -> str:
        return rf"^{re.escape(self.prefix)}\.inbox\.[a-z0-9_-]+$"

    @property
    def log(self) -> str:
        """The canonical log of accepted and derived events, kept forever."""
        return f"{self.prefix}.log"

    @property
    def reference(self) -> str:
        """Reference data, compacted to the latest fact per entity."""
        return f"{self.prefix}.reference"

    @property
    def quarantine(self) -> str:
        """Refused events with their reason, kept forever."""
        return f"{self.prefix}.quarantine"

    def body_of(self, topic: str) -> str:
        """The body id an ingest or inbox topic belongs to."""
        return topic.rsplit(".", 1)[1]
