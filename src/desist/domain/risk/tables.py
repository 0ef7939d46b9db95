"""Load the risk tools' point tables and cut-offs from ``desist/data/risk/*.yaml``.

Facts are data (ARCHITECTURE rule 8): the scoring modules hold no numbers of their own. Every banded table
uses half-open cuts, so ``Cuts(cuts=[c1, c2], values=[v0, v1, v2])`` maps ``x < c1 -> v0``, ``c1 <= x < c2 ->
v1`` and ``x >= c2 -> v2``. One representation serves the scalar path (``bisect``) and the vectorised path
(``numpy.searchsorted``), so both read the same thresholds.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar

import numpy as np
import yaml

T = TypeVar("T")


@dataclass(frozen=True)
class Cuts(Generic[T]):
    """A banded lookup: ``len(values) == len(cuts) + 1``, cuts strictly increasing."""

    cuts: tuple[float, ...]
    values: tuple[T, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.cuts) + 1:
            raise ValueError(f"table needs {len(self.cuts) + 1} values for {len(self.cuts)} cuts")
        if any(b <= a for a, b in zip(self.cuts, self.cuts[1:], strict=False)):
            raise ValueError(f"cuts must increase: {self.cuts}")

    def lookup(self, x: float) -> T:
        """Value of the band holding ``x``."""
        return self.values[bisect_right(self.cuts, x)]

    def index(self, x: float) -> int:
        """Index of the band holding ``x``."""
        return bisect_right(self.cuts, x)

    def index_array(self, x: np.ndarray) -> np.ndarray:
        """Band index for every element of ``x`` (same half-open rule as :meth:`lookup`)."""
        out: np.ndarray = np.searchsorted(np.asarray(self.cuts, dtype=float), x, side="right")
        return out

    def lookup_array(self, x: np.ndarray) -> np.ndarray:
        """Values for every element of ``x``."""
        out: np.ndarray = np.asarray(self.values)[self.index_array(x)]
        return out


#: built tables by (id of the YAML entry, values key); the entry is kept alongside so its id stays its own
_BUILT: dict[tuple[int, str], tuple[dict[str, Any], Cuts[Any]]] = {}


def cuts(entry: dict[str, Any], values_key: str = "points") -> Cuts[Any]:
    """The :class:`Cuts` of a YAML entry with ``cuts`` and ``points`` (or ``labels``...), built once.

    Scoring a record looks up several tables; building each again on every lookup (and re-checking its
    cuts) cost a quarter of the record path's time. The entries come from :func:`load_table`'s cache and
    are never changed, so the built table is kept for the life of the process.
    """
    key = (id(entry), values_key)
    hit = _BUILT.get(key)
    if hit is not None and hit[0] is entry:
        return hit[1]
    built: Cuts[Any] = Cuts(tuple(float(c) for c in entry["cuts"]), tuple(entry[values_key]))
    _BUILT[key] = (entry, built)
    return built


def _check_sources(node: Any, path: str, inherited: bool) -> None:
    """Every table (a mapping with cuts/points/labels) must say where it came from and whether it was
    checked."""
    if isinstance(node, dict):
        here = inherited or ("source" in node and "verified" in node)
        if any(k in node for k in ("cuts", "points", "points_if_false", "rules")) and not here:
            raise ValueError(f"risk table {path} lacks 'source' and 'verified'")
        for k, v in node.items():
            _check_sources(v, f"{path}.{k}", here)


@cache
def load_table(tool: str) -> dict[str, Any]:
    """Read ``desist/data/risk/<tool>.yaml`` once, checking that every table carries source and verified.

    Parameters
    ----------
    tool : str
        One of ``osp``, ``static99r``, ``rm2000``, ``pni``.

    Returns
    -------
    dict
        The parsed YAML (treat as read-only; it is cached).
    """
    text = resources.files("desist").joinpath("data", "risk", f"{tool}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    _check_sources(data, tool, inherited=False)
    return data
