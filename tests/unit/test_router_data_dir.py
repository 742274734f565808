"""The router's faust data directory is under its own FOURFOLD_HOME, never the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from fourfold.bootstrap import Container
from fourfold.settings import Settings


class _NoTopics:
    """The admin's one question the router asks while it is built: which ingest topics exist."""

    def existing(self, pattern: str) -> list[str]:
        return []


def test_the_router_keeps_its_faust_data_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        _env_file=None,
        home=Path("relative-home"),
        topic_prefix="t1",
        kafka_bootstrap="127.0.0.1:1",
        kafka_security="plaintext",
        replication_factor=1,
    )
    container = Container(settings)
    container.trust.init()
    container.__dict__["admin"] = _NoTopics()  # built without a broker
    conf = container.router().app.conf
    home = (tmp_path / "relative-home").resolve()
    assert conf.datadir == home / "cache" / "router" / "t1-router-data"
    assert conf.tabledir.is_relative_to(home)
    assert conf.datadir.parent.is_dir(), "faust makes the directory itself, but not its parents"
    assert not list(tmp_path.glob("*-data"))
