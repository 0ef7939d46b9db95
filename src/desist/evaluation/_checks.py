"""Input checks shared by :class:`~desist.evaluation.evaluate.Evaluation` and
:func:`~desist.evaluation.survival.fit_cox`: settings that cannot mean anything, one column in two roles, and
numbers no model can compute with. Each refuses with one line (what, where, what was expected).

They live in the library, not the CLI, so that Python users get the same refusals as ``desist evaluate``.
Messages name the Python parameters (``covariates: ...``, ``time ...``); the command line translates them into
its flags (:func:`desist.entrypoints.cli.options.flag_names`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation._frame import as_columns, missing

#: far more replicates than percentile CIs need (1,000-10,000); numpy cannot allocate 10^20 of them
MAX_BOOTSTRAP = 100_000
#: a subgroup analysis refits the design in every level; a column with more distinct values than this is
#: continuous (age, a score) and should be banded first (docs/evaluation.md repeats this number)
MAX_SUBGROUP_LEVELS = 20


def check_settings(bootstrap: int, denier_base_rate: float | None) -> None:
    """Refuse a bootstrap count outside 0..MAX_BOOTSTRAP and a deniers base rate outside 0..1."""
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer):
        raise InputError(f"bootstrap {bootstrap!r}: expected a whole number of replicates")
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise InputError(
            f"bootstrap {bootstrap}: expected 0 or a number of replicates up to {MAX_BOOTSTRAP:,}"
        )
    if denier_base_rate is not None and not 0 <= denier_base_rate <= 1:  # also refuses NaN
        raise InputError(f"denier_base_rate {denier_base_rate}: expected a proportion from 0 to 1")


def check_roles(
    treatment: str, outcome: str, covariates: Sequence[str], time: str | None = None, event: str | None = None
) -> None:
    """Refuse one column in two roles: an outcome (or survival time/event) as the treatment or a covariate."""
    if outcome == treatment:
        raise InputError(f"outcome {outcome!r}: is the treatment column; expected a different column")
    outcomes = {outcome: "outcome"}
    if time is not None:
        outcomes[time] = "time"
    if event is not None:
        outcomes[event] = "event"
    for name in covariates:
        if name == treatment or name in outcomes:
            role = "treatment" if name == treatment else outcomes[name]
            raise InputError(
                f"covariates: {name!r} is the {role} column; expected confounders measured before treatment"
            )
    if time is not None and time == event:
        raise InputError(f"event {event!r}: is the time column; expected a separate 0/1 column")
    for option, column in (("time", time), ("event", event)):
        if column is not None and column == treatment:
            raise InputError(f"{option} {column!r}: is the treatment column; expected a different column")


def check_survival_roles(duration: str, event: str, covariates: Sequence[str]) -> None:
    """Refuse a Cox model whose event is its duration, or whose covariate is either."""
    if duration == event:
        raise InputError(f"event {event!r}: is the duration column; expected a separate 0/1 column")
    for name in covariates:
        if name in (duration, event):
            role = "duration" if name == duration else "event"
            raise InputError(
                f"covariates: {name!r} is the {role} column; expected covariates, not the outcome"
            )


def check_finite(data: Any, columns: Sequence[str], label: str = "column") -> None:
    """Refuse infinite values, and values so large their spread overflows, in numeric ``columns``.

    ``label`` names the columns' role in the message ("time"); by default "column".
    """
    cols = as_columns(data)
    for name in dict.fromkeys(columns):
        col = cols[name]
        if col.dtype.kind not in "iuf":
            continue
        values = col.astype(float, copy=False)
        infinite = int(np.isinf(values).sum())
        if infinite:
            raise InputError(f"{label} {name!r}: {infinite} infinite value(s); expected finite numbers")
        with np.errstate(over="ignore", invalid="ignore"):
            spread = float(np.nanstd(values)) if len(values) else 0.0
        if not np.isfinite(spread):
            biggest = float(np.nanmax(np.abs(values)))
            raise InputError(
                f"{label} {name!r}: values as large as {biggest:.3g} are too large to "
                "compute with; expected numbers on a sensible scale (rescale the column)"
            )


def _distinct(values: np.ndarray) -> list[Any]:
    """The distinct non-missing values, in first-seen order."""
    return list(dict.fromkeys(values[~missing(values)].tolist()))


def check_varies(data: Any, covariates: Sequence[str]) -> None:
    """Refuse a constant covariate: it has no effect to estimate and stalls the Cox fit."""
    cols = as_columns(data)
    for name in covariates:
        levels = _distinct(cols[name])
        if len(levels) <= 1:
            shown = "none" if not levels else repr(levels[0])
            raise InputError(
                f"covariates: {name!r} has a single value ({shown}); expected a covariate that varies "
                "(a constant has no effect to estimate: leave it out)"
            )


def check_subgroup_levels(data: Any, subgroup: str) -> None:
    """Refuse a subgroup column with more than MAX_SUBGROUP_LEVELS distinct values (a continuous column)."""
    levels = len(_distinct(as_columns(data)[subgroup]))
    if levels > MAX_SUBGROUP_LEVELS:
        raise InputError(
            f"subgroup {subgroup!r}: {levels} distinct values; expected at most {MAX_SUBGROUP_LEVELS} "
            "levels (band a continuous column into a few groups first, e.g. age 18-29, 30-49, 50+)"
        )
