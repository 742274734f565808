"""Creates the bus's topics through the admin API, idempotently, with explicit settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka import errors as kafka_errors
from kafka.admin import NewTopic

from schemas import Topics

log = logging.getLogger(__name__)


class TopicAdmin:
    """Creates what is missing and leaves existing topics alone."""

    def __init__(self, bootstrap_servers: str, topics: Topics, *, partitions: int, replication_factor: int):
        self._bootstrap = bootstrap_servers
        self._topics = topics
        self._partitions = partitions
        self._replication = replication_factor

    def ensure_core(self) -> list[str]:
        t = self._topics
        return self.ensure([t.log, t.reference, t.quarantine])

    def ensure_body(self, body_ids: Iterable[str]) -> list[str]:
        names = [n for b in body_ids for n in (self._topics.ingest(b), self._topics.inbox(b))]
        return self.ensure(names)

    def existing(self, pattern: str) -> list[str]:
        """Names of the topics that match ``pattern``."""
        admin = KafkaAdminClient(bootstrap_servers=self._bootstrap)
        try:
            return sorted(n for n in admin.list_topics() if re.match(pattern, n))
        finally:
            admin.close()

    def ensure(self, names: Iterable[str]) -> list[str]:
        """Create the named topics that do not exist yet; returns those created."""
        admin = KafkaAdminClient(bootstrap_servers=self._bootstrap)
        try:
            existing = set(admin.list_topics())
            missing = [n for n in dict.fromkeys(names) if n not in existing]
            if not missing:
                return []
            new = [
                NewTopic(n, self._partitions, self._replication, topic_configs=self._topics.config_for(n))
                for n in missing
            ]
            try:
                admin.create_topics(new)
            except kafka_errors.TopicAlreadyExistsError:
                log.info("some of %s were created concurrently by someone else", missing)
                return []
            log.info("created %d topics", len(missing))
            log.debug("created topics %s", missing)
            return missing
        finally:
            admin.close()
