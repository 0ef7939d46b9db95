"""Compiled loops for large data: numba, imported only when a data set is big enough to need it.

Most of an evaluation is whole-array numpy. A few steps are sequences of dependent decisions (the greedy
matching walk) or passes numpy can only do with many full-size temporaries (a stable sort of ten million
distances); for those the loop is written once, as plain Python over arrays, and either run by the
interpreter (small data: importing numba and loading the compiled code would cost more than the loop) or
compiled by numba (large data). The compiled code is cached on disk after the first run, so later runs only
load it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: units from which the loops are compiled with numba rather than run by the interpreter (or by numpy).
#: Importing numba and loading the compiled code costs 0.3-0.8 s of CPU once per process; at 1.1 million
#: units (100,000 treated) the interpreted walk and fingerprint cost about as much, and the match alone less
COMPILED_FROM = 1_500_000

_DONE: dict[Callable[..., Any], Callable[..., Any]] = {}
_LOCK = threading.Lock()  # warm_up may make them in another thread


def compiled(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` compiled by numba (in nopython mode, cached on disk), made once per process."""
    with _LOCK:
        done = _DONE.get(func)
        if done is None:
            import numba

            done = _DONE[func] = numba.njit(cache=True, nogil=True)(func)
    return done


def warm_up() -> None:
    """Import numba and load every compiled loop an evaluation uses, by running each on a few numbers.

    Meant for a background thread while a large file is read: Arrow parses without holding the GIL, so on a
    machine with a free core the 0.3-0.8 s of loading overlap the parse. The compiled code is cached on disk,
    so this loads rather than compiles; any failure only means the loop is loaded when first needed.
    """
    import hashlib

    import numpy as np

    from desist.evaluation import _ecdf, _fingerprint, _nearest, _sorting

    try:
        x = np.array([0.4, 0.1, 0.3, 0.2])
        compiled(_sorting._radix_order)(x, np.empty(4, dtype=np.int32))
        treated = np.array([True, False, False, False])
        _nearest.match_1d_without_replacement(
            x, treated, np.ones(4, dtype=bool), np.array([0]), 1, None, compiled=True
        )
        _fingerprint._compiled_column(x, hashlib.sha256())
        _fingerprint._compiled_column(np.array([1, 0], dtype=np.int64), hashlib.sha256())
        steps = np.array([0.5])
        compiled(_ecdf._merge_gap)(np.sort(x[:2]), steps, np.sort(x[2:]), steps)
    except Exception:  # noqa: BLE001, S110 - a cold cache or a numba problem shows up where the loop is used
        pass


def use_compiled(n: int) -> bool:
    """Whether data of ``n`` units are big enough for the compiled loops (see :data:`COMPILED_FROM`)."""
    return n >= COMPILED_FROM
