"""A worker's state saved beside it, so a restart reads only the log's tail, not the whole log.

``BusState`` is a fold over the log (streams/state.py). Folding a long log at every start costs
about 95 µs per record. So the worker saves the fold with the log offsets it covers and the chains'
heads: every ``interval`` and whenever the maps in memory grow large, between batches, once the log
feed has read everything committed (its own writes included); and when it stops cleanly, if the
group's offsets show that everything it decided was committed. At start it loads that and reads the
log from those offsets.

The save goes to a RocksDB database (rocksdict) in the worker's data directory, as one table file
handed to it whole (atomic and synced): an entry per key of each map that grows with the log
(streams/spilled.py), only those changed since the last save, and one record with the rest of the
state, the offsets and the heads.
Between saves those maps read their older entries from it, so memory holds what changed since.

A save holds everything that changed in up to a minute: made at once between two batches, it
stopped the routing for 0.8–0.9 s at 500 events/s (docs/benchmarks.md). So the worker makes it a
step at a time (``saving``) while it routes on: the rest of the state is pickled and the maps' entries
set aside when the save begins, then pickled, sealed and written to the table file a few hundred at
a time between batches. Writing them to the database itself in one atomic batch at the end held the
worker for 130–230 ms per 100,000 entries (rocksdict keeps the GIL); taking in the finished file
takes a few milliseconds.

It is trusted only under the bus's seal: every entry and the state record carry a MAC over what
they hold and where, checked before anything is unpickled; a damaged entry stops the worker
(``DamagedState``) instead of being decided from. What the seal cannot show is an entry taken away
or put back from an older save: the directory is the worker's own (0700), like its key material.
A database saved by another version of the state's code, or without a saved state, is emptied and
the log folded from the start. Each worker on a machine takes a database of its own (RocksDB locks
it), since the saves of two workers mixed would not be one fold.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocksdict import IngestExternalFileOptions, Options, Rdict, SstFileWriter

from schemas.chain import Head
from schemas.files import private_dir
from schemas.seal import Seal
from streams import followups as followups_module
from streams import spilled as spilled_module
from streams import state as state_module
from streams.spilled import DamagedState
from streams.state import BusState

log = logging.getLogger(__name__)

STATE_KEY = b"\x00state"
STATE_LABEL = "router-state"
"""What the seals of the saved state are bound to, so that no sealed Kafka record passes for them."""
MAX_DATABASES = 64
"""Most workers on one machine with a saved state each."""
SAVE_STEP = 200
"""Entries a save pickles and seals in one step (about 1 ms here) before the worker routes again."""


def _format() -> bytes:
    """Names the code the state was folded by: any change to it makes older saves unusable."""
    code = hashlib.sha256()
    for module in (state_module, followups_module, spilled_module):
        code.update(Path(module.__file__ or "").read_bytes())
    return b"fourfold-router-state " + code.hexdigest()[:16].encode() + b"\n"


FORMAT = _format()


@dataclass
class Saved:
    """What a save holds: the fold, the chains' committed heads, and the log offsets it covers."""

    state: BusState
    heads: dict[str, Head]
    positions: dict[int, int]


class Snapshots:
    """The worker's saved state: the first database under ``directory`` no other worker holds."""

    def __init__(self, directory: Path, seal: Seal):
        self._seal = seal
        self.path, self._db = _open_free(directory)
        self._file = self.path.with_name(f"{self.path.name}.saving.sst")
        self._ingest = IngestExternalFileOptions()
        self._ingest.set_move_files(True)

    def worker_id(self) -> str:
        """The name of whichever worker holds this database, the same after each restart: the
        worker's transactional id ends with it (streams/group_transaction.py)."""
        path = self.path.with_name(f"{self.path.name}.worker-id")
        if not path.exists():
            path.write_text(uuid.uuid4().hex)
        return path.read_text().strip()

    def load(self) -> Saved | None:
        """The saved state, its maps reading from here; None (and the database emptied) if there is
        none, it is not the bus's, or it is of another shape."""
        saved, why = self._read()
        if saved is None:
            self._empty(why)
            return None
        self.attach(saved.state)
        return saved

    def _read(self) -> tuple[Saved | None, str]:
        data = self._db.get(STATE_KEY)
        if data is None:
            return None, "holds no saved state"
        if not data.startswith(FORMAT):
            return None, "was saved by another version of the router"
        body = self._seal.opened(STATE_LABEL, FORMAT, data[len(FORMAT) :])
        if body is None:
            log.error("%s: the seal of the saved state does not match", self.path)
            return None, "is not sealed by this bus"
        saved = pickle.loads(body)  # written by this bus and sealed: checked just above
        return (saved, "") if isinstance(saved, Saved) else (None, "holds something else")

    def attach(self, state: BusState) -> None:
        """Have ``state``'s spilled maps read what they do not hold in memory from here."""
        for spilled in state.spilled():
            spilled.attach(self._entry)

    def save(self, saved: Saved) -> None:
        """Write what the maps changed since the last save and the rest of the state, now."""
        for _ in self.saving(saved):
            pass

    def saving(self, saved: Saved) -> Generator[None, None, None]:
        """Save ``saved`` as it is when this is first advanced, pausing after that first step, after
        sorting each map's keys and every ``SAVE_STEP`` entries; the state may change between steps.
        The entries go to a table file in key order (RocksDB's ``SstFileWriter``), which the last step
        hands to the database whole (ingestion: a few milliseconds, atomic and synced). Nothing reaches
        the database before that, and a save given up (the iterator closed) leaves the maps' entries
        in memory for the next."""
        maps = saved.state.spilled()
        frozen = sorted(((spilled.name, spilled.freeze()) for spilled in maps), key=lambda item: item[0])
        try:
            self.attach(saved.state)  # the maps pickle without their entries from here on
            body = pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL)
            yield
            table = SstFileWriter(options=_options())
            table.open(str(self._file))
            table[STATE_KEY] = FORMAT + self._seal.sealed(STATE_LABEL, FORMAT, body)
            count = 0
            for name, entries in frozen:
                keys = sorted(entries)  # a str's order is its UTF-8 bytes' order, the table's
                yield
                for key in keys:
                    data = pickle.dumps(entries[key], protocol=pickle.HIGHEST_PROTOCOL)
                    table[_entry_key(name, key)] = self._seal.sealed(*_entry_place(name, key), data)
                    count += 1
                    if count % SAVE_STEP == 0:
                        yield
            yield
            table.finish()
            self._db.ingest_external_file([str(self._file)], self._ingest)
        except BaseException:
            self._file.unlink(missing_ok=True)
            for spilled in maps:
                spilled.thaw()
            raise
        for spilled in maps:
            spilled.saved()

    def close(self) -> None:
        self._db.close()

    def _entry(self, name: str, key: str) -> Any:
        data = self._db.get(_entry_key(name, key))
        if data is None:
            return None
        body = self._seal.opened(*_entry_place(name, key), data)
        if body is None:
            log.critical("%s: the saved %s entry %r fails its seal", self.path, name, key)
            raise DamagedState(
                f"{self.path}: the saved {name} entry {key!r} fails its seal;"
                " remove that directory to have the worker fold the whole log"
            )
        return pickle.loads(body)  # sealed by this bus: checked just above

    def _empty(self, why: str) -> None:
        """Start from nothing: remove whatever the database holds."""
        if next(iter(self._db.keys()), None) is not None:
            log.warning("%s %s; emptying it and folding the whole log", self.path, why)
            self._db.close()
            Rdict.destroy(str(self.path), _options())
            self._db = Rdict(str(private_dir(self.path)), _options())


def _entry_key(name: str, key: str) -> bytes:
    return name.encode() + b"\x00" + key.encode()


def _entry_place(name: str, key: str) -> tuple[str, bytes]:
    """What an entry's seal binds it to besides its value: its map and its key."""
    return f"{STATE_LABEL}:{name}", key.encode()


def _options() -> Options:
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    return options


def _open_free(directory: Path) -> tuple[Path, Rdict]:
    """The first of ``directory``/state-0, state-1... that no running worker holds open."""
    for number in range(MAX_DATABASES):
        path = private_dir(directory / f"state-{number}")
        try:
            return path, Rdict(str(path), _options())
        except Exception as exc:  # rocksdict raises a bare Exception; only a held lock moves on
            if "lock" not in str(exc).lower():
                raise
    raise RuntimeError(f"{MAX_DATABASES} workers hold saved states under {directory} already")
