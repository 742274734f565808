"""What the bus keeps under its home (keys, the outbox, SQLite read models) is the owner's alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fourfold.bootstrap import Container
from fourfold.settings import Settings
from producers import Outbox
from projections.db import make_engine


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a login shell: what the process creates is world-readable unless it says."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root.parent)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


def test_a_fresh_home_with_keys_an_outbox_and_read_models_is_private(tmp_path: Path, loose_umask: None):
    home = tmp_path / "home"
    container = Container(Settings(_env_file=None, home=home, database_url=None, outbox_path=None))
    store = container.read_store  # the first to need the home makes it
    with store.engine().connect():
        pass
    store.dispose()
    container.keys.create("city-letters")
    container.keys.create("city-letters")  # the first key is retired into keys/retired/
    Outbox(container.settings.outbox_file).close()

    modes = _modes(home)
    names = set(modes)
    assert {
        "home/keys/city-letters.pem",
        "home/keys/retired",
        "home/outbox.db",
        "home/readmodels.db",
    } <= names
    assert any(n.startswith("home/readmodels.v") for n in names)
    assert {n: m for n, m in modes.items() if (tmp_path / n).is_dir() and m != 0o700} == {}
    assert {n: m for n, m in modes.items() if (tmp_path / n).is_file() and m != 0o600} == {}


def test_a_sqlite_read_model_anywhere_is_created_private(tmp_path: Path, loose_umask: None):
    path = tmp_path / "elsewhere" / "models.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect():
        pass
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    memory = make_engine("sqlite://")
    with memory.connect():
        pass


def test_private_helpers_create_missing_parents_and_leave_existing_modes_alone(
    tmp_path: Path, loose_umask: None
):
    from schemas.files import private_dir, private_file

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    file = private_file(shared / "a" / "b" / "f.db")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755, "a directory that existed is not changed"
    for directory in (shared / "a", shared / "a" / "b"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    file.write_bytes(b"kept")
    assert private_file(file).read_bytes() == b"kept"
    assert private_dir(shared) == shared
