"""The local broker's storage format and its port: a second home uses the broker already there."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

import fourfold.broker as broker_module
from fourfold.bootstrap import Container
from fourfold.broker import BrokerError, LocalBroker
from fourfold.settings import Settings

pytestmark = pytest.mark.integration

DASHED_ID = "-xIWD-bcRmy2v80HCpL7LA"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def shared_libs(base_settings: Settings) -> Path:
    """The jars every home of this user shares, fetched if this machine has none yet."""
    broker = Container(base_settings).local_broker
    broker.fetch()
    return broker.libs


def test_storage_formats_with_a_cluster_id_that_begins_with_a_dash(
    shared_libs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """About one random id in 64 begins with '-', which kafka-storage read as an option."""
    broker = LocalBroker(
        tmp_path / "kafka", port=_free_port(), controller_port=_free_port(), libs=shared_libs
    )
    monkeypatch.setattr(broker_module, "_cluster_id", lambda: DASHED_ID)
    broker.format()
    assert f"cluster.id={DASHED_ID}\n" in (broker.data / "meta.properties").read_text()
    for directory in (broker.root, broker.logs, broker.data):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


@pytest.fixture
def local_settings(base_settings: Settings, bootstrap: str) -> Settings:
    if not base_settings.uses_local_broker:
        pytest.skip("an external cluster is configured")
    return base_settings


def test_a_home_that_is_not_the_brokers_uses_the_broker_on_its_port(
    local_settings: Settings, bootstrap: str, tmp_path: Path
):
    """`fourfold worker` or `project` under another FOURFOLD_HOME used to copy the jars, format
    storage and start a second JVM, which died on the port it found taken. The other home is given
    the broker's CA and credentials, as a second checkout on the machine would be."""
    other_home = {
        "home": tmp_path / "home",
        "kafka_credentials_dir": local_settings.credentials_dir,
        "kafka_ca_file": local_settings.ca_file,
    }
    container = Container(local_settings.model_copy(update=other_home))
    broker = container.local_broker
    try:
        assert container.ensure_broker() == bootstrap
        assert not broker.pid_file.exists(), "no second broker was started"
        assert not broker.data.exists() and not broker.config_file.exists(), "nothing was formatted"
    finally:
        broker.stop()


def test_a_port_held_by_something_that_is_not_kafka_is_a_clear_error(shared_libs: Path, tmp_path: Path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = LocalBroker(tmp_path / "kafka", port=port, controller_port=_free_port(), libs=shared_libs)
        try:
            with pytest.raises(BrokerError, match=rf"port {port} .*not .*Kafka"):
                broker.start(timeout=60)
            assert not broker.data.exists(), "nothing was formatted"
        finally:
            broker.stop()


def test_a_taken_controller_port_is_a_clear_error(shared_libs: Path, tmp_path: Path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = LocalBroker(tmp_path / "kafka", port=_free_port(), controller_port=port, libs=shared_libs)
        try:
            with pytest.raises(BrokerError, match=rf"controller port {port}"):
                broker.start(timeout=60)
            assert not broker.data.exists(), "nothing was formatted"
        finally:
            broker.stop()
