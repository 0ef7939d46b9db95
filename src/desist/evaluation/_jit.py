"""Compiled loops for large data: numba, imported only when a data set is big enough to need it.

Most of an evaluation is whole-array numpy. A few steps are sequences of dependent decisions (the greedy
matching walk) or passes numpy can only do with many full-size temporaries (a stable sort of ten million
distances); for those the loop is written once, as plain Python over arrays, and either run by the
interpreter (small data: importing numba and loading the compiled code would cost more than the loop) or
compiled by numba (large data). The compiled code is cached on disk after the first run, so later runs only
load it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: units from which the loops are compiled with numba rather than run by the interpreter (or by numpy).
#: Importing numba and loading the compiled code costs 0.3-0.8 s of CPU once per process; at 1.1 million
#: units (100,000 treated) the interpreted walk and fingerprint cost about as much, and the match alone less
COMPILED_FROM = 1_500_000

_DONE: dict[Callable[..., Any], Callable[..., Any]] = {}


def compiled(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` compiled by numba (in nopython mode, cached on disk), made once per process."""
    done = _DONE.get(func)
    if done is None:
        import numba

        done = _DONE[func] = numba.njit(cache=True, nogil=True)(func)
    return done


def use_compiled(n: int) -> bool:
    """Whether data of ``n`` units are big enough for the compiled loops (see :data:`COMPILED_FROM`)."""
    return n >= COMPILED_FROM
