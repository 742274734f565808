"""The worker fixes glibc's thresholds (fourfold/heap.py): saving its state does not grow its heap,
and the 256 KiB buffer of every TLS read does not cost system calls. Long-lived processes leave
what start-up made out of later garbage collections."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from fourfold.heap import return_large_blocks

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc has these thresholds")

PROBE = """
import ctypes, json
from fourfold.heap import MMAP_THRESHOLD_BYTES, return_large_blocks

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2

def mmapped_while_held(size):
    before = libc.mallinfo2().hblks
    block = bytearray(size)
    during = libc.mallinfo2().hblks
    del block
    return during - before

return_large_blocks()
libc.malloc_trim(0)  # the heap's top as small as a worker's often is between reads
print(json.dumps({
    "tls_reads": [mmapped_while_held(256 * 1024) for _ in range(3)],
    "saved_batch": mmapped_while_held(4 * MMAP_THRESHOLD_BYTES),
}))
"""
"""Run in a fresh interpreter: where a block comes from depends on what the heap already holds."""


@glibc_only
def test_the_thresholds_are_fixed_on_glibc() -> None:
    assert return_large_blocks() is True


@glibc_only
def test_tls_read_buffers_come_from_the_heap_and_a_saved_batch_from_a_mapping_of_its_own() -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    mapped = json.loads(probe.stdout)
    assert mapped["tls_reads"] == [0, 0, 0]  # asyncio's SSLProtocol reads into 256 KiB each time
    assert mapped["saved_batch"] == 1


FREEZE_PROBE = """
import gc, json
from fourfold.heap import freeze_startup_objects

made_at_start_up = [[n] for n in range(1000)]
freeze_startup_objects()
made_later = [[n] for n in range(10)]
walked = gc.get_objects()
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "start_up_walked": any(o is made_at_start_up[0] for o in walked),
    "later_walked": any(o is made_later[0] for o in walked),
}))
"""


def test_collections_after_start_up_walk_only_what_was_made_later() -> None:
    probe = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, check=True)
    seen = json.loads(probe.stdout)
    assert seen["frozen"] >= 1000
    assert seen == {"frozen": seen["frozen"], "start_up_walked": False, "later_walked": True}
