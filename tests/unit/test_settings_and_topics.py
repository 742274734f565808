"""Settings defaults and environment handling; topic naming and configs."""

from __future__ import annotations

import re

import pytest

from fourfold.settings import Settings
from schemas import Topics


def test_local_broker_is_used_unless_a_cluster_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOURFOLD_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("FOURFOLD_KAFKA_PORT", raising=False)
    local = Settings(_env_file=None)
    assert local.uses_local_broker and local.bootstrap_servers == "127.0.0.1:9092"
    monkeypatch.setenv("FOURFOLD_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    remote = Settings(_env_file=None)
    assert not remote.uses_local_broker and remote.bootstrap_servers == "kafka-1:9092,kafka-2:9092"


def test_database_defaults_to_sqlite_under_home_and_honours_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOURFOLD_DATABASE_URL", raising=False)
    assert Settings(_env_file=None).sqlalchemy_url.startswith("sqlite:///")
    monkeypatch.setenv("FOURFOLD_DATABASE_URL", "postgresql+psycopg://u:secret@db/ff")
    settings = Settings(_env_file=None)
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:secret@db/ff"
    assert "secret" not in repr(settings)


def test_settings_round_trip_through_the_environment_of_child_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Settings(_env_file=None, topic_prefix="tenant-a", partitions=5, kafka_bootstrap="h:1")
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == original


def test_topic_names_and_patterns() -> None:
    topics = Topics("ff")
    assert topics.ingest("city-letters") == "ff.ingest.city-letters"
    assert topics.body_of(topics.inbox("yuzhong-commission")) == "yuzhong-commission"
    assert re.match(topics.ingest_pattern, "ff.ingest.city-letters")
    assert not re.match(topics.ingest_pattern, "ffx.ingest.city-letters")
    assert not re.match(topics.ingest_pattern, "ff.inbox.city-letters")


def test_log_inbox_and_quarantine_are_kept_forever_and_reference_data_is_compacted() -> None:
    topics = Topics("ff")
    for name in (topics.log, topics.inbox("b"), topics.quarantine):
        config = topics.config_for(name)
        assert config["retention.ms"] == "-1" and config["cleanup.policy"] == "delete"
    assert topics.config_for(topics.reference)["cleanup.policy"] == "compact"
    assert int(topics.config_for(topics.ingest("b"))["retention.ms"]) > 0


def test_an_ingest_topic_has_one_partition_since_every_record_on_it_has_its_body_s_key() -> None:
    topics = Topics("ff")
    assert topics.partitions_of(topics.ingest("b"), 3) == 1
    assert [topics.partitions_of(t, 3) for t in (topics.log, topics.inbox("b"), topics.reference)] == [
        3,
        3,
        3,
    ]
