"""Every setting Fourfold reads, from FOURFOLD_* environment variables or a .env file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The only place that reads the environment; everything else receives these values."""

    model_config = SettingsConfigDict(env_prefix="FOURFOLD_", env_file=".env", extra="ignore")

    home: Path = Field(
        Path(".fourfold"),
        description="Working directory for the local broker, keys, outbox and SQLite files.",
    )
    kafka_bootstrap: str | None = Field(
        None,
        description="Bootstrap servers of an existing cluster; when set no local broker is started.",
    )
    kafka_port: int = Field(9092, description="Client port of the local broker (loopback only).")
    kafka_controller_port: int = Field(9093, description="KRaft controller port of the local broker.")
    kafka_heap: str = Field("1g", description="Java heap of the local broker.")
    kafka_security: Literal["sasl_ssl", "plaintext"] = Field(
        "sasl_ssl",
        description="How clients reach the broker: SASL/SCRAM-SHA-512 over TLS, each process as its own"
        " principal (the default, and what the local broker enforces), or plain text (a cluster without"
        " security only).",
    )
    kafka_credentials_dir: Path | None = Field(
        None,
        description="Directory of `<principal>.password` files (0600); `home/credentials` when unset. On the"
        " local broker fourfold makes them; an agency receives its own file from the cluster's operator.",
    )
    kafka_ca_file: Path | None = Field(
        None,
        description="PEM file of the CA that signed the broker's certificate; `home/tls/ca.pem` (the local"
        " broker's own CA) when unset.",
    )
    cache_dir: Path = Field(
        default_factory=lambda: _user_cache() / "fourfold",
        description="Files shared by every home of this user, e.g. the Kafka jars per Kafka version;"
        " `$XDG_CACHE_HOME/fourfold` (`~/.cache/fourfold`) when unset.",
    )
    topic_prefix: str = Field("fourfold", description="Prefix of every topic and consumer group.")
    partitions: int = Field(
        3, ge=1, description="Partitions of the log and inbox topics (an ingest topic has one)."
    )
    replication_factor: int | None = Field(
        None,
        ge=1,
        description="Replication of every topic; when unset it scales with the cluster: 3 copies (and"
        " min.insync.replicas=2) where three or more brokers exist, else one per broker.",
    )
    database_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the read models; SQLite under `home` when unset.",
    )
    registrar_body: str = Field(
        "registrar",
        description="Body whose key signs reference data (regions, bodies, keys): the trust anchor.",
    )
    bus_body: str = Field("bus", description="Body id the router signs derived events with.")
    dashboard_body: str = Field(
        "dashboard",
        description="Body id (of kind dashboard) whose key signs the dashboards' records of who opened"
        " which clue or dossier; its events wait in `home/dashboard-outbox.db` until Kafka has them.",
    )
    trust_anchors_path: Path | None = Field(
        None,
        description="JSON list of the registrar's trusted public keys with their validity (the trust"
        " anchor); `home/trust-anchors.json` when unset. The bus refuses to start without it.",
    )
    seal_key_path: Path | None = Field(
        None,
        description="The bus's seal key, which the router seals its records with and every reader"
        " checks; `home/keys/bus.seal` when unset. Made by `fourfold init`; keep it 0600.",
    )
    max_skew_seconds: float = Field(
        300.0,
        ge=0,
        description="How far an event's occurred_at may be ahead of the time the broker received it.",
    )
    clock_interval: float = Field(
        60.0,
        ge=0,
        description="Seconds of wall time between the bus clock's ClockTicked events, which drive"
        " every deadline; 0 stops the clock (tests then publish ticks themselves).",
    )
    systemic_min_units: int = Field(
        3, ge=2, description="A finding category at this many units within the window is a systemic issue."
    )
    systemic_min_regions: int = Field(
        3, ge=2, description="A finding category in this many regions within the window is a systemic issue."
    )
    systemic_window_days: float = Field(
        30.0, gt=0, description="Window of event time in which findings count towards a systemic issue."
    )
    simulation: bool = Field(
        False,
        description="A bus for simulation or backfill: `fourfold clock advance` may publish the bus"
        " clock's ticks. Never set on a production bus.",
    )
    systemic_min_sectors: int = Field(
        3, ge=2, description="A finding category in this many sectors within the window is a systemic issue."
    )
    rectification_days: float = Field(
        60.0, gt=0, description="Days after an inspection round ends that its findings' rectification is due."
    )
    report_grace_days: float = Field(
        5.0, ge=0, description="Days after a reporting period's end before a missing report is overdue."
    )
    router_commit_interval: float = Field(
        1.0, gt=0, description="Seconds between the router's transaction commits (visibility delay)."
    )
    require_sealed_fields: bool = Field(
        True,
        description="Refuse events whose protected fields (a clue's informant) are not sealed by the SDK"
        " to the bodies allowed to read them; off only while agencies still lack the key directory.",
    )
    router_snapshot_interval: float = Field(
        60.0,
        gt=0,
        description="Seconds between saves of a router worker's state (it also saves on a clean stop):"
        " a restart reads only the log's tail.",
    )
    router_batch_size: int = Field(
        500, ge=1, description="Most ingest records the router writes in one transaction."
    )
    router_batch_wait: float = Field(
        0.005,
        ge=0,
        description="Seconds between the ticks on which the router closes a batch begun with nothing"
        " waiting: at most the wait it adds at human pace. Records that queued up during a batch form the"
        " next at once.",
    )
    router_session_timeout: float = Field(
        6.0,
        ge=6,
        description="Seconds before a silent (crashed) router worker's partitions go to the others; it"
        " heartbeats every quarter of it (at most 3 s). 6 is the broker's minimum: a killed worker's"
        " partitions resumed in 6.4-9.5 s (8: 7.8-10.3 s, 10: 10.6-12.5 s, 30: 31 s), with no spurious"
        " rebalance in 38 min of two loaded workers on 2 cores.",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Interface the router's Prometheus endpoint listens on."
    )
    metrics_port: int | None = Field(
        None, description="Port of the router's Prometheus endpoint (/metrics); off when unset."
    )
    max_event_bytes: int = Field(
        65_536, description="Largest encoded event accepted, in bytes (see docs/events.md)."
    )
    test_postgres_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL the test suite also runs the database tests against.",
    )
    log_level: str = Field("INFO", description="Log level of workers and the CLI.")
    projector_batch_size: int = Field(
        1000, ge=1, description="Most records the projector applies in one transaction (rows and offsets)."
    )
    api_host: str = Field("127.0.0.1", description="Interface the read API (`fourfold serve`) listens on.")
    api_port: int = Field(8360, description="Port of the read API (`fourfold serve`).")
    outbox_path: Path | None = Field(
        None,
        description="SQLite outbox where `fourfold publish` keeps events until Kafka acknowledges"
        " them; `home/outbox.db` when unset.",
    )
    outbox_retention_days: float = Field(
        7.0,
        ge=0,
        description="Days an acknowledged event stays in the outbox (for status queries) before it is"
        " pruned; the outbox holds signed events, so it keeps nothing longer than this.",
    )
    key_directory_path: Path | None = Field(
        None,
        description="The key directory the SDK seals protected fields with (`fourfold keys directory`"
        " writes it); `home/keys/directory.json` when unset.",
    )
    decrypt_for: str | None = Field(
        None,
        description="Comma-separated bodies whose encryption keys the read API loads from"
        " `home/keys/encryption` to open protected fields for them; every key there when unset.",
    )

    identity_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the identity database (users, web sessions, API tokens), kept apart"
        " from the rebuildable read models; SQLite `home/identity.db` when unset.",
    )
    session_minutes: float = Field(
        480.0, gt=0, description="Minutes a dashboard sign-in lasts before the session expires."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins in a row after which a user must wait (lock-out)."
    )
    login_lockout_seconds: float = Field(
        300.0, ge=0, description="Seconds a user waits after `login_max_failures` failed sign-ins."
    )
    cookie_secure: bool = Field(
        False,
        description="Mark the dashboard's cookies Secure (sent over HTTPS only): set it when a TLS proxy"
        " serves the dashboards.",
    )

    def to_env(self) -> dict[str, str]:
        """These settings as FOURFOLD_* variables, for the child processes the bus starts."""
        env = {}
        for name, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            env[f"FOURFOLD_{name.upper()}"] = str(value)
        return env

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def uses_local_broker(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.home / 'readmodels.db').resolve()}"

    @property
    def identity_sqlalchemy_url(self) -> str:
        if self.identity_url is not None:
            return self.identity_url.get_secret_value()
        return f"sqlite:///{(self.home / 'identity.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def credentials_dir(self) -> Path:
        return self.kafka_credentials_dir or self.home / "credentials"

    @property
    def ca_file(self) -> Path:
        return self.kafka_ca_file or self.home / "tls" / "ca.pem"

    @property
    def trust_anchors_file(self) -> Path:
        return self.trust_anchors_path or self.home / "trust-anchors.json"

    @property
    def seal_key_file(self) -> Path:
        return self.seal_key_path or self.keys_dir / "bus.seal"

    @property
    def dashboard_outbox_file(self) -> Path:
        return self.home / "dashboard-outbox.db"

    @property
    def outbox_file(self) -> Path:
        return self.outbox_path or self.home / "outbox.db"

    @property
    def router_data_dir(self) -> Path:
        """The router's local faust data (table stores), absolute: this home's own, since it belongs
        to this bus, unlike ``cache_dir``, which every home of the user shares."""
        return (self.home / "cache" / "router").resolve()

    @property
    def encryption_keys_dir(self) -> Path:
        return self.keys_dir / "encryption"

    @property
    def key_directory_file(self) -> Path:
        return self.key_directory_path or self.keys_dir / "directory.json"


def _user_cache() -> Path:
    """The XDG base directory for caches: ``$XDG_CACHE_HOME`` if absolute, else ``~/.cache``."""
    configured = Path(os.environ.get("XDG_CACHE_HOME") or ".")
    return configured if configured.is_absolute() else Path.home() / ".cache"
