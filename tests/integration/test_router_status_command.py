"""`fourfold router status` says plainly what it cannot do, and what no worker leaves waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from fourfold.bootstrap import Container
from fourfold.operations import publish_registry
from fourfold.registrar import DEMO_REGISTRY
from tests.integration.test_registry_command import _fourfold

pytestmark = pytest.mark.integration


def test_without_the_operators_password_it_says_whose_file_is_missing(
    container: Container, tmp_path: Path
) -> None:
    empty = tmp_path / "credentials"
    empty.mkdir()
    elsewhere = Container(container.settings.model_copy(update={"kafka_credentials_dir": empty}))

    code, shown = _fourfold(elsewhere, "router", "status")

    assert code == 2, shown
    assert "no password for Kafka principal 'operator'" in shown and "Traceback" not in shown


def test_with_no_worker_running_it_counts_what_waits_and_exits_3(container: Container) -> None:
    count = publish_registry(container, DEMO_REGISTRY)

    code, shown = _fourfold(container, "router", "status")

    assert code == 3, shown
    assert "No router worker is running" in shown and f"{count} events waiting" in shown
    assert "registrar" in shown and "none" in shown  # its body, held by no worker
