"""`fourfold worker` and `fourfold project` connect to the configured broker and never start one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fourfold.bootstrap as bootstrap_module
from fourfold.bootstrap import Container
from fourfold.broker import LocalBroker
from fourfold.cli import app
from fourfold.reach import BrokerUnreachable, addresses
from fourfold.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """A home that is not the broker's, on a port where nothing listens; what tried to start a broker."""
    calls: list[str] = []
    for name in ("start", "fetch", "format"):
        monkeypatch.setattr(LocalBroker, name, lambda *_, name=name, **__: calls.append(name))
    monkeypatch.setattr(Container, "ensure_broker", lambda self: calls.append("ensure_broker"))
    real = bootstrap_module.require_reachable

    def quickly(servers: str, *, timeout: float, how_to_start: str) -> None:
        real(servers, timeout=0.3, how_to_start=how_to_start)

    monkeypatch.setattr(bootstrap_module, "require_reachable", quickly)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOURFOLD_KAFKA_BOOTSTRAP", raising=False)
    for name, value in {
        "FOURFOLD_HOME": tmp_path / "other-home",
        "FOURFOLD_CACHE_DIR": tmp_path / "cache",
        "FOURFOLD_KAFKA_PORT": _free_port(),
        "FOURFOLD_KAFKA_CONTROLLER_PORT": _free_port(),
    }.items():
        monkeypatch.setenv(name, str(value))
    yield calls


@pytest.mark.parametrize("command", ["worker", "project"])
def test_a_service_without_a_broker_exits_saying_how_to_start_one(
    command: str, starts: list[str], tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, [command])
    assert result.exit_code == 1, result.output
    assert "no Kafka broker answers on 127.0.0.1:" in result.output
    assert "fourfold broker up" in result.output
    assert starts == []
    assert not (tmp_path / "other-home" / "kafka").exists()
    assert not (tmp_path / "cache").exists()


def test_the_service_connects_to_a_broker_that_answers_and_starts_none(starts: list[str]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        container = Container(Settings(_env_file=None, kafka_port=port))
        assert container.require_broker() == f"127.0.0.1:{port}"
    assert starts == []


def test_a_configured_cluster_that_does_not_answer_is_named(starts: list[str]) -> None:
    bootstrap = f"127.0.0.1:{_free_port()},[::1]:{_free_port()}"
    container = Container(Settings(_env_file=None, kafka_bootstrap=bootstrap))
    with pytest.raises(BrokerUnreachable, match="check FOURFOLD_KAFKA_BOOTSTRAP"):
        container.require_broker()
    assert addresses(bootstrap)[1][0] == "::1"
    assert starts == []
