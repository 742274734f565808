"""Creates the bus's topics through the admin API, idempotently, with explicit settings."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient
from kafka import errors as kafka_errors
from kafka.admin import NewTopic

from schemas import Topics
from schemas.access import KafkaAccess
from schemas.topics import durability

log = logging.getLogger(__name__)

SERVED_WITHIN = 30.0
"""Seconds a created topic may take to be served with a leader for every partition."""


class TopicAdmin:
    """Creates what is missing, with the configs ``topics`` gives, and leaves existing topics alone."""

    def __init__(
        self,
        access: KafkaAccess,
        topics: Topics,
        *,
        partitions: int,
        replication_factor: int,
    ):
        self._access = access
        self._topics = topics
        self._partitions = partitions
        self._replication = replication_factor

    def _configs(self, name: str) -> dict[str, str]:
        return {**self._topics.config_for(name), **durability(self._replication)}

    def brokers(self) -> int:
        """How many brokers the cluster has."""
        admin = KafkaAdminClient(**self._access.kafka_python())
        try:
            return len(admin.describe_cluster()["brokers"])
        finally:
            admin.close()

    def ensure_core(self) -> list[str]:
        t = self._topics
        return self.ensure([t.log, t.reference, t.quarantine, t.checkpoints])

    def ensure_body(self, body_ids: Iterable[str]) -> list[str]:
        names = [n for b in body_ids for n in (self._topics.ingest(b), self._topics.inbox(b))]
        return self.ensure(names)

    def existing(self, pattern: str) -> list[str]:
        """Names of the topics that match ``pattern``."""
        admin = KafkaAdminClient(**self._access.kafka_python())
        try:
            return sorted(n for n in admin.list_topics() if re.match(pattern, n))
        finally:
            admin.close()

    def ensure(self, names: Iterable[str]) -> list[str]:
        """Create the named topics that do not exist yet; returns those created."""
        admin = KafkaAdminClient(**self._access.kafka_python())
        try:
            existing = set(admin.list_topics())
            missing = [n for n in dict.fromkeys(names) if n not in existing]
            if not missing:
                return []
            new = [
                NewTopic(
                    n,
                    self._topics.partitions_of(n, self._partitions),
                    self._replication,
                    topic_configs=self._configs(n),
                )
                for n in missing
            ]
            try:
                admin.create_topics(new)
            except kafka_errors.TopicAlreadyExistsError:
                log.info("some of %s were created concurrently by someone else", missing)
                return []
            _await_leaders(admin, missing, SERVED_WITHIN)
            log.info("created %d topics", len(missing))
            log.debug("created topics %s", missing)
            return missing
        finally:
            admin.close()


def _await_leaders(admin: KafkaAdminClient, names: list[str], timeout: float) -> None:
    """Wait until the broker serves every partition of ``names`` with a leader.

    CreateTopics returns once the controller has the topics; the broker learns of them a moment
    later, and a client that looks a topic up in between is told it does not exist (seen with a
    few dozen topics created at once on the local KRaft broker).
    """
    deadline = time.monotonic() + timeout
    while pending := [t["name"] for t in admin.describe_topics(names) if not _served(t)]:
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{len(pending)} new topics not served after {timeout:.0f}s: {pending[:5]}")
        time.sleep(0.05)


def _served(topic: dict[str, Any]) -> bool:
    partitions = topic["partitions"]
    return topic["error_code"] == 0 and bool(partitions) and all(p["leader_id"] >= 0 for p in partitions)
