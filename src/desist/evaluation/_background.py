"""A step of a national-size evaluation run beside the others on a second core.

The data fingerprint (a pass over every value, about a second on ten million rows) needs nothing from the
design. Its work is numba-compiled code (which runs without the GIL) and hashing (which releases it), so a
thread computes it while the main thread fits the design: the CPU time is the same, the wall time shorter
where a core is free, and the memory only the fingerprint's buffers. Small data run in line (starting a
thread would cost more than it saves). The result is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from desist.evaluation._jit import use_compiled

T = TypeVar("T")


def start(rows: int, func: Callable[..., T], *args: Any) -> Future[T]:
    """``func(*args)`` in a thread for data of ``rows`` rows from the compiled size on, else run now; the
    result (or its exception) comes from ``.result()``."""
    if use_compiled(rows):
        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(func, *args)
        pool.shutdown(wait=False)  # the thread ends with its task
        return future
    done: Future[T] = Future()
    try:
        done.set_result(func(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to .result(), as a thread would
        done.set_exception(exc)
    return done
