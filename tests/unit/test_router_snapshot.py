"""The router's saved state (streams/snapshot.py): loaded only if the bus sealed it and the same code
folded it; otherwise the worker folds the whole log."""

from __future__ import annotations

from schemas.chain import Head
from schemas.seal import Seal
from streams.snapshot import FORMAT, Saved, Snapshots
from streams.testing import demo_bench, finding


def _saved() -> Saved:
    bench = demo_bench()
    bench.publish(finding("yuzhong-hospital", "yuzhong-stationed-health"))
    return Saved(bench.state, {"t.ingest.a/0": Head(3, b"\x01" * 32)}, {0: 17, 1: 4})


def test_a_saved_state_comes_back_as_it_was(tmp_path):
    seal = Seal.generate()
    saved = _saved()
    Snapshots(tmp_path / "state.snapshot", seal).save(saved)
    loaded = Snapshots(tmp_path / "state.snapshot", seal).load()
    assert loaded is not None
    assert loaded.positions == {0: 17, 1: 4} and loaded.heads == saved.heads
    assert loaded.state.findings and loaded.state.findings == saved.state.findings
    assert loaded.state.seen == saved.state.seen
    assert (tmp_path / "state.snapshot").stat().st_mode & 0o777 == 0o600


def test_a_state_not_sealed_by_the_bus_is_ignored(tmp_path):
    path = tmp_path / "state.snapshot"
    Snapshots(path, Seal.generate()).save(_saved())
    assert Snapshots(path, Seal.generate()).load() is None
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    assert Snapshots(path, Seal.generate()).load() is None


def test_a_state_folded_by_other_code_or_missing_is_ignored(tmp_path):
    seal = Seal.generate()
    path = tmp_path / "state.snapshot"
    assert Snapshots(path, seal).load() is None
    Snapshots(path, seal).save(_saved())
    path.write_bytes(path.read_bytes().replace(FORMAT, b"fourfold-router-state 0000000000000000\n", 1))
    assert Snapshots(path, seal).load() is None
