"""The router's saved state (streams/snapshot.py, streams/spilled.py): what grows with the log is on
disk and out of memory once saved; loaded only if the bus sealed it and the same code folded it;
otherwise the worker folds the whole log."""

from __future__ import annotations

import pickle

import pytest

from schemas.chain import Head
from schemas.seal import Seal
from streams.snapshot import FORMAT, STATE_KEY, Saved, Snapshots
from streams.spilled import DamagedState
from streams.testing import Bench, clue, demo_bench, finding


def _bench() -> Bench:
    bench = demo_bench()
    bench.publish(finding("yuzhong-hospital", "yuzhong-stationed-health"))
    bench.publish(clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters", clue_id="clue-7"))
    return bench


def _saved(bench: Bench) -> Saved:
    return Saved(bench.state, {"t.ingest.a/0": Head(3, b"\x01" * 32)}, {0: 17, 1: 4})


def _ids(bench: Bench) -> list[str]:
    return list(bench.state.seen.hot)


def test_a_saved_state_comes_back_as_it_was(tmp_path):
    seal, bench = Seal.generate(), _bench()
    ids, digests = _ids(bench), dict(bench.state.seen.hot)
    holder = bench.state.clues["clue-7"].holder
    snapshots = Snapshots(tmp_path, seal)
    snapshots.save(_saved(bench))
    snapshots.close()
    loaded = Snapshots(tmp_path, seal).load()
    assert loaded is not None
    assert loaded.positions == {0: 17, 1: 4} and loaded.heads == {"t.ingest.a/0": Head(3, b"\x01" * 32)}
    assert loaded.state.findings and loaded.state.findings == bench.state.findings
    assert {i: loaded.state.digest_of(i) for i in ids} == digests
    assert loaded.state.clues["clue-7"].holder == holder
    assert (tmp_path / "state-0").stat().st_mode & 0o777 == 0o700


def test_once_saved_what_grows_with_the_log_leaves_memory_and_is_read_from_disk(tmp_path):
    bench = _bench()
    ids = _ids(bench)
    snapshots = Snapshots(tmp_path, Seal.generate())
    snapshots.attach(bench.state)
    snapshots.save(_saved(bench))
    assert all(not m.hot for m in bench.state.spilled())
    assert all(bench.state.knows(i) for i in ids) and not bench.state.knows("never-logged")
    assert len(pickle.dumps(bench.state)) < len(pickle.dumps(_bench().state))
    bench.state.clues["clue-7"].holder = "someone-else"  # changed in place after a read: saved next time
    snapshots.save(_saved(bench))
    assert not bench.state.clues.hot
    assert bench.state.clues["clue-7"].holder == "someone-else"


def test_a_save_taken_a_step_at_a_time_holds_the_state_as_it_began(tmp_path):
    """The worker routes between a save's steps: what it decides meanwhile, even a clue changed in
    place, is the next save's, while the save under way writes the state as it was."""
    seal, bench = Seal.generate(), _bench()
    snapshots = Snapshots(tmp_path, seal)
    snapshots.attach(bench.state)
    ids, holder = _ids(bench), bench.state.clues["clue-7"].holder
    steps = snapshots.saving(_saved(bench))
    next(steps)
    later = str(bench.publish(finding("yuzhong-hospital", "yuzhong-stationed-health")).logged[0].event_id)
    bench.state.clues["clue-7"].holder = "someone-else"
    assert all(bench.state.knows(i) for i in ids)  # set aside, not yet on disk: still read
    assert snapshots._db.get(STATE_KEY) is None
    for _ in steps:  # the rest of the save
        pass
    assert bench.state.clues["clue-7"].holder == "someone-else"
    assert bench.state.knows(later) and not bench.state.seen.saving
    snapshots.close()
    loaded = Snapshots(tmp_path, seal).load()
    assert loaded is not None
    assert all(loaded.state.knows(i) for i in ids) and not loaded.state.knows(later)
    assert loaded.state.clues["clue-7"].holder == holder != "someone-else"


def test_a_save_given_up_leaves_its_entries_for_the_next(tmp_path):
    seal, bench = Seal.generate(), _bench()
    snapshots = Snapshots(tmp_path, seal)
    snapshots.attach(bench.state)
    ids = _ids(bench)
    steps = snapshots.saving(_saved(bench))
    next(steps)
    next(steps)  # its table file begun
    steps.close()
    assert snapshots._db.get(STATE_KEY) is None
    assert not list(tmp_path.glob("*.sst"))
    assert _ids(bench) == ids and not bench.state.seen.saving
    snapshots.save(_saved(bench))
    snapshots.close()
    loaded = Snapshots(tmp_path, seal).load()
    assert loaded is not None and all(loaded.state.knows(i) for i in ids)


def test_the_router_decides_the_same_from_a_state_on_disk(tmp_path):
    """A repeat of a saved event is a duplicate, and a saved clue's custody holds."""
    bench = _bench()
    snapshots = Snapshots(tmp_path, Seal.generate())
    snapshots.attach(bench.state)
    snapshots.save(_saved(bench))
    again = bench.publish(finding("yuzhong-hospital", "yuzhong-stationed-health"))
    assert again.duplicate is False  # a new event id: routed
    repeat = bench.publish(clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters", clue_id="clue-7"))
    assert repeat.quarantined is not None and repeat.quarantined.reason == "duplicate_id_reuse"


def test_a_state_not_sealed_by_the_bus_is_ignored_and_emptied(tmp_path):
    snapshots = Snapshots(tmp_path, Seal.generate())
    snapshots.save(_saved(_bench()))
    snapshots.close()
    other = Snapshots(tmp_path, Seal.generate())
    assert other.load() is None
    assert next(iter(other._db.keys()), None) is None


def test_a_state_folded_by_other_code_or_missing_is_ignored(tmp_path):
    seal = Seal.generate()
    snapshots = Snapshots(tmp_path, seal)
    assert snapshots.load() is None
    snapshots.save(_saved(_bench()))
    data = snapshots._db.get(STATE_KEY)
    snapshots._db.put(STATE_KEY, data.replace(FORMAT, b"fourfold-router-state 0000000000000000\n", 1))
    assert snapshots.load() is None


def test_a_damaged_entry_stops_the_router_instead_of_deciding_from_it(tmp_path):
    bench = _bench()
    snapshots = Snapshots(tmp_path, Seal.generate())
    snapshots.attach(bench.state)
    snapshots.save(_saved(bench))
    key = b"taken\x00clue:clue-7"
    data = bytearray(snapshots._db.get(key))
    data[-3] ^= 1
    snapshots._db.put(key, bytes(data))
    with pytest.raises(DamagedState):
        bench.publish(clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters", clue_id="clue-7"))


def test_each_worker_on_a_machine_has_a_database_of_its_own(tmp_path):
    seal = Seal.generate()
    first, second = Snapshots(tmp_path, seal), Snapshots(tmp_path, seal)
    assert (first.path.name, second.path.name) == ("state-0", "state-1")
    first.close()
    assert Snapshots(tmp_path, seal).path.name == "state-0"


def test_a_database_names_its_worker_the_same_after_a_restart_and_apart_from_the_others(tmp_path):
    seal = Seal.generate()
    first, second = Snapshots(tmp_path, seal), Snapshots(tmp_path, seal)
    names = first.worker_id(), second.worker_id()
    assert names[0] != names[1]
    first.close()
    assert Snapshots(tmp_path, seal).worker_id() == names[0]
