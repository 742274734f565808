"""The composition root: builds settings, broker, topics, keys, publishers, workers and databases."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fourfold.access import Passwords
from fourfold.acl import OPERATOR, PROJECTOR, ROUTER, SERVICES, AclAdmin, Grant, desired
from fourfold.admin import TopicAdmin
from fourfold.broker import BrokerSecurity, LocalBroker, shared_libs
from fourfold.encryption import EncryptionKeyStore
from fourfold.keys import KeyStore
from fourfold.reach import require_reachable
from fourfold.settings import Settings
from fourfold.trust import TrustFiles
from producers import Publisher
from schemas import SigningKey, Topics
from schemas.access import KafkaAccess
from schemas.confidential import Keyring
from schemas.files import private_dir

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from fourfold.viewlog import ViewRecorder
    from projections.batch import Intake
    from projections.identity import IdentityStore
    from projections.projector import Projector
    from projections.versions import ReadStore
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
        for chatty in ("kafka.cluster", "kafka.net.transport"):  # connection noise, said again above
            logging.getLogger(chatty).setLevel(logging.CRITICAL)

    @cached_property
    def topics(self) -> Topics:
        return Topics(self.settings.topic_prefix, self.settings.max_event_bytes)

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(self.settings.keys_dir)

    @cached_property
    def encryption_keys(self) -> EncryptionKeyStore:
        """Bodies' X25519 private keys, ``home/keys/encryption`` (docs/security.md, section 7)."""
        return EncryptionKeyStore(self.settings.encryption_keys_dir)

    def keyring(self) -> Keyring:
        """The encryption keys this process opens protected fields with: the settings' bodies only."""
        wanted = self.settings.decrypt_for
        bodies = {b.strip() for b in wanted.split(",") if b.strip()} if wanted else None
        return self.encryption_keys.keyring(bodies)

    @cached_property
    def trust(self) -> TrustFiles:
        """The trust anchors and the bus's secrets (``fourfold init`` makes them)."""
        s = self.settings
        return TrustFiles(s.trust_anchors_file, s.seal_key_file, self.keys, s.registrar_body, s.bus_body)

    @cached_property
    def local_broker(self) -> LocalBroker:
        s = self.settings
        return LocalBroker(
            s.home / "kafka",
            port=s.kafka_port,
            controller_port=s.kafka_controller_port,
            heap=s.kafka_heap,
            libs=shared_libs(s.cache_dir),
            security=BrokerSecurity.ensure(s.ca_file.parent, self.passwords)
            if s.kafka_security == "sasl_ssl"
            else None,
        )

    def ensure_broker(self) -> str:
        """The bootstrap servers, starting the local broker first unless a cluster is configured."""
        if self.settings.uses_local_broker:
            self.local_broker.start()
        return self.settings.bootstrap_servers

    def require_broker(self, timeout: float = 15.0) -> str:
        """The bootstrap servers once one of them takes connections; never starts a broker (only
        `broker up`, `demo` and the tests do). Raises BrokerUnreachable after ``timeout`` seconds."""
        s = self.settings
        how = (
            "start the local broker with `fourfold broker up` (FOURFOLD_KAFKA_PORT), or point"
            " FOURFOLD_KAFKA_BOOTSTRAP at a running cluster"
            if s.uses_local_broker
            else "check FOURFOLD_KAFKA_BOOTSTRAP and that the cluster is up"
        )
        require_reachable(s.bootstrap_servers, timeout=timeout, how_to_start=how)
        return s.bootstrap_servers

    @cached_property
    def passwords(self) -> Passwords:
        return Passwords(self.settings.credentials_dir)

    def access(self, principal: str) -> KafkaAccess:
        """How ``principal`` (a body id, or router, projector, api, operator) reaches the broker."""
        s = self.settings
        if s.kafka_security == "plaintext":
            return KafkaAccess(s.bootstrap_servers)
        return KafkaAccess(s.bootstrap_servers, principal, self.passwords.get(principal), s.ca_file)

    @cached_property
    def acl(self) -> AclAdmin:
        return AclAdmin(self.access(OPERATOR))

    def admit_principals(
        self, bodies: list[str], *, remove_others: bool = False
    ) -> tuple[set[Grant], set[Grant]]:
        """As the operator: SCRAM users for the bus's services and ``bodies`` (passwords made here
        when missing), and the ACLs they need on this bus's topics; with ``remove_others``, this
        bus's grants to anyone else (a retired body) go. Returns the grants (added, removed)."""
        if self.settings.kafka_security == "plaintext":
            return set(), set()
        principals = [*SERVICES, *bodies]
        self.acl.upsert_users({p: self.passwords.ensure(p) for p in principals})
        wanted = desired(self.topics, bodies, self.settings.bus_body)
        return self.acl.sync(self.topics, wanted, remove=remove_others)

    @cached_property
    def admin(self) -> TopicAdmin:
        return TopicAdmin(
            self.access(OPERATOR),
            self.topics,
            partitions=self.settings.partitions,
            replication_factor=self.replication_factor,
        )

    @cached_property
    def replication_factor(self) -> int:
        """The settings' replication, or 3 where the cluster has three brokers or more (asked once)."""
        if self.settings.replication_factor is not None:
            return self.settings.replication_factor
        probe = TopicAdmin(self.access(OPERATOR), self.topics, partitions=1, replication_factor=1)
        return min(3, probe.brokers())

    def publisher(
        self,
        body_id: str,
        key: SigningKey | None = None,
        *,
        outbox: bool | Path = False,
        sequence: Path | None = None,
    ) -> Publisher:
        """``body_id``'s publisher, signing with its stored key unless ``key`` is given; with
        ``outbox``, events wait in the settings' outbox file (or the one given) until Kafka
        acknowledges them. The body's count of sequence numbers is kept in the settings' outbox
        file unless ``sequence`` names another (an agency of its own, in a benchmark)."""
        s = self.settings
        return Publisher(
            body_id,
            key or self.keys.load(body_id),
            s.bootstrap_servers,
            topics=self.topics,
            outbox=s.outbox_file if outbox is True else outbox or None,
            max_event_bytes=s.max_event_bytes,
            producer_config=self.access(body_id).security(),
            directory=s.key_directory_file if s.key_directory_file.exists() else None,
            outbox_retention=timedelta(days=s.outbox_retention_days),
            sequence=sequence or s.outbox_file,
        )

    def router(self) -> RouterApp:
        from streams.app import RouterApp, RouterConfig
        from streams.derived import Policy

        s = self.settings
        return RouterApp(
            RouterConfig(
                access=self.access(ROUTER),
                topics=self.topics,
                registrar_body=s.registrar_body,
                anchors=self.trust.load_anchors(),
                bus_key=self.trust.load_bus_key(),
                seal=self.trust.load_seal(),
                bus_body=s.bus_body,
                policy=Policy(
                    bus_body=s.bus_body,
                    systemic_min_units=s.systemic_min_units,
                    systemic_min_regions=s.systemic_min_regions,
                    systemic_window=timedelta(days=s.systemic_window_days),
                    systemic_min_sectors=s.systemic_min_sectors,
                    rectification_period=timedelta(days=s.rectification_days),
                    report_grace=timedelta(days=s.report_grace_days),
                ),
                clock_interval=s.clock_interval,
                require_sealed=s.require_sealed_fields,
                state_dir=private_dir(s.router_data_dir),
                snapshot_interval=s.router_snapshot_interval,
                batch_size=s.router_batch_size,
                batch_wait=s.router_batch_wait,
                commit_interval=s.router_commit_interval,
                session_timeout=s.router_session_timeout,
                metrics_host=s.metrics_host,
                metrics_port=s.metrics_port,
                partitions=s.partitions,
                replication_factor=self.replication_factor,
                max_event_bytes=s.max_event_bytes,
                max_skew=timedelta(seconds=s.max_skew_seconds),
                ingest_topics=tuple(self.admin.existing(self.topics.ingest_pattern)),
                extra_faust_settings={"datadir": private_dir(s.router_data_dir) / "{conf.name}-data"},
            )
        )

    @cached_property
    def read_store(self) -> ReadStore:
        """The read-model database: one namespace per schema version, and the live pointer."""
        from projections.versions import ReadStore

        private_dir(self.settings.home)
        return ReadStore(self.settings.sqlalchemy_url)

    @cached_property
    def engine(self) -> Engine:
        """The read models of this code's schema version (see projections/versions.py)."""
        return self.read_store.engine()

    def intake(self) -> Intake:
        """What the projector and replay take in: the records the router sealed."""
        from projections.batch import Intake

        return Intake(self.topics, self.trust.load_seal())

    def projector(self) -> Projector:
        from projections.projector import Projector
        from projections.versions import SCHEMA_VERSION

        store = self.read_store
        return Projector(
            self.engine,
            self.access(PROJECTOR),
            self.intake(),
            batch_size=self.settings.projector_batch_size,
            on_caught_up=lambda: store.switch(SCHEMA_VERSION, "caught up with the log", only_if_newer=True),
        )

    @cached_property
    def identity(self) -> IdentityStore:
        """Users, web sessions and API tokens: a database of their own, which no rebuild of the read
        models touches; tokens an older version kept beside the read models are copied in once."""
        from projections.identity import IdentityStore
        from projections.tokens import adopt_legacy

        private_dir(self.settings.home)
        store = IdentityStore(self.settings.identity_sqlalchemy_url)
        adopt_legacy(store.engine, self.read_store.control)
        return store

    def read_api(self) -> FastAPI:
        """The read API for machines (bearer tokens) and the dashboards for people (projections/web)."""
        from projections.api import create_app
        from projections.web import WebConfig, add_dashboards

        s = self.settings
        app = create_app(self.read_store, self.identity.engine, keyring=self.keyring())
        config = WebConfig(
            session_minutes=s.session_minutes,
            max_failures=s.login_max_failures,
            lockout_seconds=s.login_lockout_seconds,
            secure_cookies=s.cookie_secure,
        )
        views = self.view_recorder()
        app.router.on_shutdown.append(views.close)
        add_dashboards(app, self.read_store, self.identity, config, views=views, quarantine=self.quarantined)
        return app

    def view_recorder(self) -> ViewRecorder:
        """Records who opened which clue or dossier, as the dashboard body, through its own outbox."""
        from fourfold.viewlog import ViewRecorder

        s = self.settings
        return ViewRecorder(
            self.keys,
            s.dashboard_body,
            lambda key: self.publisher(s.dashboard_body, key, outbox=s.dashboard_outbox_file),
        )

    def quarantined(self) -> list[dict[str, Any]]:
        """The quarantine topic's records, read to its end as the operator (for the dashboard)."""
        from fourfold.operations import read_topic

        return read_topic(self.access(OPERATOR), self.topics.quarantine)
