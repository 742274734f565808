"""The worker fixes glibc's mmap threshold (fourfold/heap.py), so saving its state does not grow its heap."""

from __future__ import annotations

import platform

import pytest

from fourfold.heap import return_large_blocks


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc moves its mmap threshold")
def test_the_threshold_is_fixed_on_glibc() -> None:
    assert return_large_blocks() is True
