"""The local broker's setup without running it: cluster ids, the format command, the shared jar cache."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

import fourfold.broker as broker_module
from fourfold.bootstrap import Container
from fourfold.broker import BrokerError, LocalBroker
from fourfold.settings import Settings

DASHED = uuid.UUID(bytes=b"\xf8" + bytes(15))  # base64url of a first byte 0xf8..0xfb begins with '-'
PLAIN = uuid.UUID(bytes=b"\x10" * 16)


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch):
    assert base64.urlsafe_b64encode(DASHED.bytes).startswith(b"-")
    drawn = iter([DASHED, PLAIN])
    monkeypatch.setattr(broker_module.uuid, "uuid4", lambda: next(drawn))
    cluster_id = broker_module._cluster_id()
    assert cluster_id == base64.urlsafe_b64encode(PLAIN.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22


def test_the_cluster_id_is_passed_so_that_it_cannot_be_read_as_an_option(tmp_path: Path):
    command = LocalBroker(tmp_path, port=1, controller_port=2).format_command("-xIWD-bcRmy2v80HCpL7LA")
    assert "--cluster-id=-xIWD-bcRmy2v80HCpL7LA" in command
    assert "-xIWD-bcRmy2v80HCpL7LA" not in command, "never a separate argument after -t"


def _settings(tmp_path: Path, home: str) -> Settings:
    return Settings(_env_file=None, home=tmp_path / home, cache_dir=tmp_path / "cache")


def test_two_homes_share_one_jar_cache_per_kafka_version(tmp_path: Path):
    first = Container(_settings(tmp_path, "home-a")).local_broker
    second = Container(_settings(tmp_path, "home-b")).local_broker
    assert first.root != second.root
    assert first.libs == second.libs
    assert first.libs.parent.parent == (tmp_path / "cache").resolve()
    assert first.libs.parent.name.startswith(f"kafka-{broker_module.kafka_version()}")


def test_the_cache_follows_xdg_unless_set_and_is_never_under_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("FOURFOLD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings(_env_file=None).cache_dir == tmp_path / "xdg" / "fourfold"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert Settings(_env_file=None).cache_dir == tmp_path / "user" / ".cache" / "fourfold"
    monkeypatch.setenv("FOURFOLD_CACHE_DIR", str(tmp_path / "own"))
    assert Settings(_env_file=None).cache_dir == tmp_path / "own"


def _stub_maven(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, fails: bool = False) -> Path:
    """A ``mvn`` on PATH that writes one jar into -DoutputDirectory and counts its calls (Maven
    itself is not what is tested here; the real fetch runs in every integration session)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "mvn-calls"
    script = f"""#!/bin/sh
echo call >> {calls}
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="${{arg#-DoutputDirectory=}}";; esac
done
mkdir -p "$out" && touch "$out/kafka_2.13-9.9.9.jar"
{"echo 'resolution failed' >&2; exit 1" if fails else "exit 0"}
"""
    mvn = bin_dir / "mvn"
    mvn.write_text(script)
    mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setattr(broker_module, "_require_java", lambda: None)
    return calls


def test_jars_are_fetched_once_into_place_and_reused_by_another_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    calls = _stub_maven(monkeypatch, tmp_path)
    libs = tmp_path / "cache" / "kafka-9.9.9" / "libs"
    LocalBroker(tmp_path / "a" / "kafka", port=1, controller_port=2, libs=libs).fetch()
    LocalBroker(tmp_path / "b" / "kafka", port=1, controller_port=2, libs=libs).fetch()
    assert calls.read_text().splitlines() == ["call"]
    assert [p.name for p in libs.iterdir()] == ["kafka_2.13-9.9.9.jar"]
    assert [p.name for p in libs.parent.iterdir()] == ["libs"], "no partial download left beside it"


def test_a_failed_fetch_leaves_neither_jars_nor_a_partial_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    _stub_maven(monkeypatch, tmp_path, fails=True)
    libs = tmp_path / "cache" / "kafka-9.9.9" / "libs"
    with pytest.raises(BrokerError, match="resolution failed"):
        LocalBroker(tmp_path / "a" / "kafka", port=1, controller_port=2, libs=libs).fetch()
    assert not libs.exists()
    assert not libs.parent.exists() or list(libs.parent.iterdir()) == []
