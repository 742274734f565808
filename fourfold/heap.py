"""A long-lived worker's heap: large blocks go back to the system when they are freed, the blocks
every network read borrows do not, and the garbage collector leaves what start-up made alone.

glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB); blocks
below it then come from the heap, where fragmentation keeps them. Saving the router's state builds
and frees a batch of several MiB at every save (streams/snapshot.py), so a worker's resident
memory grew by about 0.9 KB for each event routed: in-process, 60,000 workload events with saves,
1,288 B per event with glibc's moving threshold against 390–440 B with it fixed.

The fixed threshold must stay above 256 KiB, though: asyncio's TLS transport reads every chunk
into a fresh 256 KiB buffer and shrinks it to what came (``SSLProtocol.max_size``), several times
per Kafka response. Fixed at glibc's 128 KiB default, each of those reads was an mmap, an mremap
and a munmap: TLS reads were a quarter of a worker's busy time at 50 events/s, and those calls
more than half of that. Fixing the mmap threshold also fixes the trim threshold at its 128 KiB
default, so the heap's top is kept up to TRIM_THRESHOLD_BYTES instead of being given back and
taken again by every read.
Nothing changes where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameters; setting either also stops both from moving."""
MMAP_THRESHOLD_BYTES = 1024 * 1024
TRIM_THRESHOLD_BYTES = 4 * MMAP_THRESHOLD_BYTES


def return_large_blocks() -> bool:
    """Fix the mmap and trim thresholds; False where there is no glibc ``mallopt``."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )


def freeze_startup_objects() -> None:
    """Leave every object start-up made out of later garbage collections.

    CPython's full collections walk every object the process tracks, holding the GIL meanwhile.
    Most of a long-lived process's objects are made at start-up (modules, faust's services, the
    registry, the restored state, the read models' metadata) and live as long as it does, yet each
    full collection walked them again: 60–180 ms in a worker and up to 320 ms in the projector,
    with every event in flight held for it (timed with ``gc.callbacks`` during bench_latency.py).
    Frozen, they are never walked again; what is made later is collected as before.
    """
    gc.collect()
    gc.freeze()
