"""The composition root: builds settings, broker, topics, keys, publishers, workers and databases."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from fourfold.admin import TopicAdmin
from fourfold.broker import LocalBroker
from fourfold.keys import KeyStore
from fourfold.settings import Settings
from producers import Publisher
from schemas import Topics

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from projections.projector import Projector
    from streams.app import RouterApp


class Container:
    """One per process; everything is built lazily, so nothing connects until it is used."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        logging.basicConfig(
            level=self.settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        for noisy in ("kafka", "aiokafka"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        logging.getLogger("kafka.cluster").setLevel(logging.CRITICAL)

    @cached_property
    def topics(self) -> Topics:
        return Topics(self.settings.topic_prefix)

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(self.settings.keys_dir)

    @cached_property
    def local_broker(self) -> LocalBroker:
        s = self.settings
        return LocalBroker(
            s.home / "kafka", port=s.kafka_port, controller_port=s.kafka_controller_port, heap=s.kafka_heap
        )

    def ensure_broker(self) -> str:
        """The bootstrap servers, starting the local broker first unless a cluster is configured."""
        if self.settings.uses_local_broker:
            self.local_broker.start()
        return self.settings.bootstrap_servers

    @cached_property
    def admin(self) -> TopicAdmin:
        return TopicAdmin(
            self.settings.bootstrap_servers,
            self.topics,
            partitions=self.settings.partitions,
            replication_factor=self.settings.replication_factor,
        )

    def publisher(self, body_id: str) -> Publisher:
        return Publisher(
            body_id, self.keys.load(body_id), self.settings.bootstrap_servers, topics=self.topics
        )

    def router(self) -> RouterApp:
        from streams.app import RouterApp, RouterConfig

        s = self.settings
        return RouterApp(
            RouterConfig(
                bootstrap_servers=s.bootstrap_servers,
                topics=self.topics,
                registrar_body=s.registrar_body,
                registrar_key=self.keys.load_or_create(s.registrar_body).verify_key,
                bus_key=self.keys.load_or_create(s.bus_body),
                partitions=s.partitions,
                replication_factor=s.replication_factor,
                max_event_bytes=s.max_event_bytes,
                ingest_topics=tuple(self.admin.existing(self.topics.ingest_pattern)),
            )
        )

    @cached_property
    def engine(self) -> Engine:
        from projections.db import create_schema, make_engine

        self.settings.home.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.sqlalchemy_url)
        create_schema(engine)
        return engine

    def projector(self) -> Projector:
        from projections.projector import Projector

        return Projector(self.engine, self.settings.bootstrap_servers, self.topics)
