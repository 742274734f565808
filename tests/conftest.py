"""Shared fixtures: the real local broker (once per session), unique topic prefixes, databases."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaError
from pydantic import SecretStr

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.demo import wait_for
from fourfold.operations import delete_bus, publish_registry, read_topic
from fourfold.processes import Child
from fourfold.registrar import DEMO_REGISTRY
from fourfold.settings import Settings
from projections.inbox import inbox_of
from projections.testing import fresh_postgres_database
from schemas.access import KafkaAccess
from schemas.confidential import open_protected

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """The environment's settings, with the broker state kept in the repository's .fourfold."""
    settings = Settings()
    if settings.uses_local_broker and not settings.home.is_absolute():
        settings = settings.model_copy(update={"home": ROOT / settings.home})
    return settings


@pytest.fixture(scope="session")
def bootstrap(base_settings: Settings) -> str:
    """Bootstrap servers of the real broker: the configured cluster, or the local one (started once)."""
    return Container(base_settings).ensure_broker()


@pytest.fixture(scope="session")
def operator(base_settings: Settings, bootstrap: str) -> KafkaAccess:
    """The broker's operator (a super user): for tests that read or write topics directly."""
    return Container(base_settings).access(OPERATOR)


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own, so tests never see each other's records."""
    return f"t{uuid.uuid4().hex[:12]}"


def _postgres_url(base_settings: Settings) -> str | None:
    url = base_settings.test_postgres_url
    return url.get_secret_value() if url else None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, base_settings: Settings) -> Iterator[str]:
    """A fresh, empty database: SQLite always; PostgreSQL when FOURFOLD_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'readmodels.db'}"
        return
    admin_url = _postgres_url(base_settings)
    if admin_url is None:
        pytest.skip("FOURFOLD_TEST_POSTGRES_URL is not set")
    yield from fresh_postgres_database(admin_url)


@pytest.fixture
def bus_settings(base_settings: Settings, bootstrap: str, prefix: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one test's own bus: the shared broker, its own topics, keys and SQLite file.
    Its topics and grants are deleted afterwards: a suite's thousands of partitions would hold the
    broker's open files (its limit was reached once, and the broker stopped), and its tens of
    thousands of ACLs would be read by every later test that lists a bus's whole grants."""
    settings = base_settings.model_copy(
        update={
            "kafka_bootstrap": bootstrap,
            "kafka_credentials_dir": base_settings.credentials_dir,
            "kafka_ca_file": base_settings.ca_file,
            "topic_prefix": prefix,
            "home": tmp_path / "home",
            "database_url": None,
            "partitions": 2,
        }
    )
    yield settings
    try:
        delete_bus(Container(settings))
    except KafkaError as exc:  # the test's verdict stands; a leftover topic is only disk
        log.warning("could not delete the topics or grants of %s: %s", prefix, exc)


@pytest.fixture
def container(bus_settings: Settings) -> Iterator[Container]:
    """A bus of this test's own, with its trust anchors and secrets made (``fourfold init``)."""
    built = Container(bus_settings)
    built.trust.init()
    yield built


class RunningBus:
    """One test's whole bus: its topics, the registry loaded, a router worker and a projector."""

    def __init__(self, container: Container, log_dir: Path):
        self.container = container
        self.settings = container.settings
        self.log_dir = log_dir
        self.children: list[Child] = []

    def start(
        self, *, registry: Path = DEMO_REGISTRY, worker: bool = True, projector: bool = True
    ) -> RunningBus:
        count = publish_registry(self.container, registry)
        if worker:
            self.start_worker()
        if projector:
            self.start_projector()
        if worker:
            self.wait_until(
                lambda: len(self.records(self.container.topics.reference)) >= count,
                90,
                "the router to take in the registry",
            )
        return self

    def start_worker(self, name: str = "worker") -> Child:
        child = Child(name, ["worker"], self.log_dir, env=self.settings.to_env())
        self.children.append(child)
        return child

    def start_projector(self, name: str = "projector") -> Child:
        child = Child(name, ["project"], self.log_dir, env=self.settings.to_env())
        self.children.append(child)
        return child

    def publish(self, body_id: str, event: Any) -> None:
        with self.container.publisher(body_id) as publisher:
            publisher.publish_event(event)

    def send_raw(self, body_id: str, value: bytes, key: str = "raw") -> None:
        with self.container.publisher(body_id) as publisher:
            publisher.send_raw(key, value)

    def records(self, topic: str) -> list[dict[str, Any]]:
        return read_topic(self.container.access(OPERATOR), topic)

    def inbox(self, body_id: str) -> list[dict[str, Any]]:
        return inbox_of(self.container.engine, body_id)

    def opened(self, body_id: str, row: dict[str, Any]) -> dict[str, Any]:
        """An inbox row's payload with the protected fields ``body_id``'s encryption keys (held in
        this bus's home) open, as the read API shows it; a field it cannot open stays sealed."""
        payload = json.loads(row["payload"])
        ring = self.container.keyring()
        return open_protected(row["event_type"], uuid.UUID(row["event_id"]), payload, body_id, ring)[0]

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        ok = wait_for(condition, timeout, give_up=lambda: not all(c.alive for c in self.children))
        if not ok:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {c.name} ---\n{c.log_path.read_text()[-4000:]}" for c in self.children)

    def stop(self) -> None:
        for child in self.children:
            child.stop()


@pytest.fixture
def make_bus(bus_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., RunningBus]]:
    """Builds unstarted buses on this test's topics, optionally on another database; stops them all."""
    buses: list[RunningBus] = []

    def build(database_url: str | None = None) -> RunningBus:
        settings = bus_settings
        if database_url is not None:
            settings = settings.model_copy(update={"database_url": SecretStr(database_url)})
        built = Container(settings)
        built.trust.init()
        bus = RunningBus(built, tmp_path / f"logs{len(buses)}")
        buses.append(bus)
        return bus

    try:
        yield build
    finally:
        for bus in buses:
            bus.stop()


@pytest.fixture
def running_bus(make_bus: Callable[..., RunningBus]) -> RunningBus:
    """An unstarted bus on SQLite; call ``.start()`` to load the registry and run worker and projector."""
    return make_bus()
