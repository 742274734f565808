"""A worker's state saved beside it, so a restart reads only the log's tail, not the whole log.

``BusState`` is a fold over the log (streams/state.py). Folding a long log at every start costs
about 95 µs per record. So the worker saves the fold with the log offsets it covers and the chains'
heads: every ``interval``, between batches, once the log feed has read everything committed (its
own writes included); and when it stops cleanly, if the group's offsets show that everything it
decided was committed. At start it loads that and reads the log from those offsets.

The file is the worker's own, under its data directory (0600), and is trusted only under the
bus's seal: a MAC over its bytes, checked before anything is loaded. A snapshot made by another
version of the state's code is ignored, and the log is folded from the start.
What it saves is a fold of committed records only, so it is never ahead of the log; any snapshot
is as good as another, whichever of several workers on one machine wrote it last.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from schemas.chain import Head
from schemas.files import private_file
from schemas.seal import Seal
from streams import followups as followups_module
from streams import state as state_module
from streams.state import BusState

log = logging.getLogger(__name__)

MAC_BYTES = 32


def _format() -> bytes:
    """Names the code the state was folded by: any change to it makes older snapshots unusable."""
    code = hashlib.sha256()
    for module in (state_module, followups_module):
        code.update(Path(module.__file__ or "").read_bytes())
    return b"fourfold-router-state " + code.hexdigest()[:16].encode() + b"\n"


FORMAT = _format()


@dataclass
class Saved:
    """What a snapshot holds: the fold, the chains' committed heads, and the log offsets it covers."""

    state: BusState
    heads: dict[str, Head]
    positions: dict[int, int]


class Snapshots:
    def __init__(self, path: Path, seal: Seal):
        self.path = path
        self._seal = seal

    def save(self, saved: Saved) -> None:
        body = pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL)
        mac = self._seal.mac(str(self.path.name), FORMAT, body)
        temporary = private_file(self.path.with_suffix(".tmp"))
        with open(temporary, "wb") as out:
            out.write(FORMAT + mac + body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def load(self) -> Saved | None:
        """The saved state, or None if there is none, it is not the bus's, or it is of another shape."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not data.startswith(FORMAT):
            log.warning("%s: saved by another version of the router; folding the whole log", self.path)
            return None
        mac, body = data[len(FORMAT) : len(FORMAT) + MAC_BYTES], data[len(FORMAT) + MAC_BYTES :]
        if mac != self._seal.mac(str(self.path.name), FORMAT, body):
            log.error("%s: the seal does not match; ignoring it and folding the whole log", self.path)
            return None
        saved = pickle.loads(body)  # written by this bus and sealed: checked just above
        return saved if isinstance(saved, Saved) else None
