"""A map of the router's state that grows with the log, kept on disk as of the state's last save.

Every id the log ever held (for de-duplication), every clue's custody and origin, every matter:
held in memory, these made most of a worker's growth of about 1.5 KB per log record. A ``Spilled``
map keeps in memory only the entries written, or read to be changed, since the state was last
saved; the rest are in the worker's database (streams/snapshot.py), which is written only when the
whole state is saved, so it never holds a decision that was not committed. Without a database
(tests, replays) it is a plain map in memory.

A save is written a step at a time while the worker routes on (``Snapshots.saving``): the entries it
writes are set aside as they were when it began (``freeze``) and read from there until it is done,
while what changes meanwhile goes to a fresh ``hot``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

Lookup = Callable[[str, str], Any]
"""(map name, key) -> the saved value, or None."""

_MISSING: Any = object()


class DamagedState(RuntimeError):
    """A saved entry failed its seal: the state on disk cannot be trusted, and nothing may be
    decided from it."""


class Spilled(Generic[V]):
    """``name`` names the map in the database. Values read from a ``mutable`` map are kept in
    memory until the next save, since the state may change them in place."""

    def __init__(self, name: str, *, mutable: bool = False):
        self.name = name
        self.mutable = mutable
        self.hot: dict[str, V] = {}
        """Entries written or read to be changed since the last save: what the next save writes."""
        self.saving: dict[str, V] = {}
        """Entries a save under way is writing, as they were when it began."""
        self._saved: Lookup | None = None

    def attach(self, saved: Lookup) -> None:
        """Read entries not in memory from ``saved`` (the database, as of the last save)."""
        self._saved = saved

    def freeze(self) -> dict[str, V]:
        """Hand the entries in memory to a save that begins: they are read from there until it is
        done (``saved``) or given up (``thaw``); what is written from here on goes to ``hot``."""
        self.thaw()
        self.saving, self.hot = self.hot, {}
        return self.saving

    def saved(self) -> None:
        """The save is in the database: forget the entries it wrote."""
        self.saving = {}

    def thaw(self) -> None:
        """The save was given up: its entries are kept for the next, under what changed since."""
        if self.saving:
            self.hot, self.saving = {**self.saving, **self.hot}, {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.hot:
            return self.hot[key]
        if key in self.saving:
            return self._from_saving(key)
        value = None if self._saved is None else self._saved(self.name, key)
        if value is None:
            return default
        if self.mutable:
            self.hot[key] = value
        return value

    def __getitem__(self, key: str) -> V:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def __setitem__(self, key: str, value: V) -> None:
        self.hot[key] = value

    def setdefault(self, key: str, default: V) -> V:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            self.hot[key] = value = default
        return value  # type: ignore[no-any-return]

    def _from_saving(self, key: str) -> Any:
        """An entry the save under way is writing. A value that may be changed in place is copied
        first, as if read from the database, so that the save writes it as it was."""
        value = self.saving[key]
        if self.mutable:
            value = self.hot[key] = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its entries only while it has no database; with one, they are saved there."""
        return {"name": self.name, "mutable": self.mutable, "hot": {} if self._saved else self.hot}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], mutable=state["mutable"])  # type: ignore[misc]
        self.hot = state["hot"]
