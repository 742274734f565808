"""Every topic name of the bus, derived from one prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass

KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
RECORD_FRAMING_BYTES = 1024
"""Room beside an event in the broker's ``max.message.bytes``, which counts a whole record batch:
its 61-byte header, one record's lengths and timestamps, and its key (a matter id of at most 128
characters). An event of the full size limit fits; anything much larger is refused."""


def durability(replicas: int) -> dict[str, str]:
    """Topic configs for ``replicas`` copies: an acknowledged write is on two brokers once there
    are three, and an out-of-sync replica never becomes leader (it could lose accepted events)."""
    return {"min.insync.replicas": "2" if replicas >= 3 else "1", "unclean.leader.election.enable": "false"}


@dataclass(frozen=True)
class Topics:
    """Topic names; a unique prefix gives a test or a tenant a bus of its own."""

    prefix: str = "fourfold"
    max_event_bytes: int | None = None
    """The bus's event size limit; the broker then refuses a larger record on ingest topics."""

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

    @property
    def checkpoints(self) -> str:
        """The router's signed chain heads (schemas/chain.py), kept forever."""
        return f"{self.prefix}.checkpoints"

    def config_for(self, topic: str) -> dict[str, str]:
        """Kafka topic configs: the log, checkpoints, inboxes and quarantine are kept forever; reference data
        is compacted; ingest topics keep a month for publishers to recover from, are stamped by
        the broker (the router checks claimed times against it), and refuse a record that no
        event within ``max_event_bytes`` makes."""
        if topic == self.reference:
            return dict(COMPACTED)
        if topic.startswith(f"{self.prefix}.ingest."):
            config = {"retention.ms": str(30 * 24 * 3600 * 1000), "message.timestamp.type": "LogAppendTime"}
            if self.max_event_bytes is not None:
                config["max.message.bytes"] = str(self.max_event_bytes + RECORD_FRAMING_BYTES)
            return config
        return dict(KEEP_FOREVER)

    def partitions_of(self, topic: str, partitions: int) -> int:
        """How many partitions ``topic`` is created with on a bus of ``partitions``: one for an
        ingest topic. Every record on it carries its body's id as key, to keep the body's order,
        so it lands on one partition whatever the count; the others would carry nothing and
        would only be named in every fetch the router makes."""
        return 1 if topic.startswith(f"{self.prefix}.ingest.") else partitions

    def body_of(self, topic: str) -> str:
        """The body id an ingest or inbox topic belongs to."""
        return topic.rsplit(".", 1)[1]
