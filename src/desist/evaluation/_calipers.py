"""MatchIt's calipers: on the distance and on covariates (``caliper = c(0.2, age = 5)``), each in standard
deviations or in raw units (``std.caliper``), resolved to absolute widths before matching.

As MatchIt's ``process.caliper`` (R/input_processing.R, MatchIt 4.7.2): a standardised caliper is multiplied
by the standard deviation (n - 1 denominator) of its variable over the units not discarded, both groups
together; calipers cannot be placed on string or categorical columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation._frame import as_columns, missing

#: the key of a caliper mapping that means the distance (propensity score) rather than a column
DISTANCE_KEY = "distance"


@dataclass(frozen=True)
class Calipers:
    """Absolute caliper widths: on the distance (None: none) and per covariate column."""

    distance: float | None
    names: list[str]
    widths: np.ndarray  # (m,)
    values: np.ndarray | None  # (n, m) the covariates' values, None without covariate calipers

    def as_dict(self) -> dict[str, float]:
        out = {DISTANCE_KEY: self.distance} if self.distance is not None else {}
        return {**out, **{k: float(v) for k, v in zip(self.names, self.widths, strict=True)}}


def _positive(name: str, value: Any) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not (np.isfinite(value) and value > 0):
        raise InputError(f"caliper {name!r} = {value!r}: expected a positive number")
    return float(value)


def check_calipers(caliper: Any, std_caliper: Any) -> dict[str, float]:
    """Validate MatchIt-style caliper settings without data; returns {name: width as given}."""
    if caliper is None:
        given: dict[str, float] = {}
    elif isinstance(caliper, Mapping):
        if not caliper:
            raise InputError("caliper: an empty mapping; expected {'distance': 0.2, 'age': 5} or a number")
        given = {str(k): _positive(str(k), v) for k, v in caliper.items()}
    else:
        ok = isinstance(caliper, (int, float, np.integer, np.floating)) and not isinstance(caliper, bool)
        if not ok or not (np.isfinite(caliper) and caliper > 0):
            raise InputError(f"caliper {caliper!r}: expected a positive number")
        given = {DISTANCE_KEY: float(caliper)}
    if isinstance(std_caliper, Mapping):
        unknown = [str(k) for k in std_caliper if str(k) not in given]
        if unknown:
            raise InputError(
                f"std_caliper {unknown[0]!r}: no caliper of that name; "
                f"calipers are {', '.join(given) or 'none'}"
            )
        bad = [k for k, v in std_caliper.items() if not isinstance(v, (bool, np.bool_))]
        if bad:
            raise InputError(f"std_caliper {bad[0]!r}: expected true or false")
    elif not isinstance(std_caliper, (bool, np.bool_)):
        raise InputError(
            f"std_caliper {std_caliper!r}: expected true, false or a mapping of caliper names to them"
        )
    return given


def resolve_calipers(
    caliper: Any, std_caliper: Any, data: Any, distance: np.ndarray, keep: np.ndarray
) -> Calipers:
    """Absolute widths: standardised calipers times the SD of their variable over the retained units."""
    given = check_calipers(caliper, std_caliper)

    def standardised(name: str) -> bool:
        if isinstance(std_caliper, Mapping):
            return bool(std_caliper.get(name, True))
        return bool(std_caliper)

    dist_cal = None
    if DISTANCE_KEY in given:
        if np.isnan(distance).all():
            raise InputError("caliper: not available with distance 'mahalanobis'; use a propensity distance")
        sd = float(np.std(distance[keep], ddof=1)) if standardised(DISTANCE_KEY) else 1.0
        dist_cal = given[DISTANCE_KEY] * sd
    names = [k for k in given if k != DISTANCE_KEY]
    if not names:
        return Calipers(dist_cal, [], np.zeros(0), None)
    if np.isnan(distance).all():
        raise InputError("caliper: covariate calipers need a propensity-score distance, not 'mahalanobis'")
    unknown = [k for k in names if k not in data.columns]
    if unknown:
        raise InputError(
            f"caliper {unknown[0]!r}: no such column; expected a numeric covariate or 'distance'"
        )
    cols = []
    data = as_columns(data)
    for k in names:
        col = data[k]
        if col.dtype.kind not in "biuf" or k in data.levels:
            raise InputError(f"caliper {k!r}: calipers need a numeric column, not text or categories")
        gaps = int(missing(col).sum())
        if gaps:
            raise InputError(f"caliper {k!r}: {gaps} missing values; expected complete data")
        cols.append(col.astype(float))
    values = np.column_stack(cols)
    widths = np.array(
        [
            given[k] * (float(np.std(values[keep, j], ddof=1)) if standardised(k) else 1.0)
            for j, k in enumerate(names)
        ]
    )
    return Calipers(dist_cal, names, widths, values)
