"""The cyclic garbage collector while a casework command starts: off until the command opens the store.

Start-up makes about 100,000 objects that live as long as the process: modules, classes, the ORM's tables
and mappers. The collector scanned them again and again as they were made, and once more when the process
exited: about a twelfth of ``desist referral list``'s instructions and 50-80 ms of its CPU time on a busy
machine. A casework command now starts with the collector off; when it opens the store
(:func:`desist.entrypoints.cli.casework_common.open_app`), after its imports and before its own work,
:func:`resume` moves everything made so far out of the collector's sight (:func:`gc.freeze`) and turns it
back on, so what the command does next is collected as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_paused = False


@contextlib.contextmanager
def paused(pause: bool) -> Iterator[None]:
    """Run the block with the collector off (if ``pause``) until :func:`resume`; as it was after."""
    global _paused
    gc.unfreeze()  # callers running many commands in one process (the tests): an earlier one's objects
    collecting = gc.isenabled()
    _paused = pause and collecting
    if _paused:
        gc.disable()
    try:
        yield
    finally:
        _paused = False
        if collecting:
            gc.enable()


def resume() -> None:
    """Turn the collector back on if :func:`paused` turned it off, leaving what exists now unscanned."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
