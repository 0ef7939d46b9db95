"""desist evaluate's settings for national files: freed memory kept for reuse (glibc's mallopt, in its own
process here), the cycle collector paused and resumed."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import numpy as np
from desist.entrypoints.cli.national_run import keep_freed_memory
print(keep_freed_memory())
total = 0.0
for _ in range(3):  # large blocks made and freed again: now from the heap, reused
    a = np.ones(6_000_000)
    total += float(a.sum())
    del a
print(total)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_large_blocks_come_from_the_heap_and_still_work() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    applied, total = out.split()
    assert applied in ("True", "False")  # False only on a Linux without glibc
    assert float(total) == 18_000_000.0


def test_cycle_collector_is_paused_then_resumed() -> None:
    import gc

    from desist.entrypoints.cli.national_run import cycle_collector_paused

    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()
