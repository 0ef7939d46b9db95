"""The compiled loops load in the background while a national file is read (desist.evaluation._jit)."""

from __future__ import annotations

from desist.evaluation import _ecdf, _fingerprint, _jit, _nearest, _sorting


def test_warm_up_loads_every_compiled_loop() -> None:
    """warm_up runs each loop with the argument types the evaluation uses (a failure would be silent there,
    the loop then loading when first needed, so it is checked here)."""
    _jit.warm_up()
    kernels = {
        _sorting._radix_order, _nearest._fill_pool, _nearest._walk, _fingerprint._plan, _fingerprint._write,
        _ecdf._merge_gap,
    }  # fmt: skip
    assert kernels <= set(_jit._DONE)
    for func in kernels:
        assert _jit._DONE[func].signatures, func.__name__  # made (loaded from the cache or compiled)
