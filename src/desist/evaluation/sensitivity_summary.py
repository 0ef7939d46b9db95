"""The sensitivity block of an evaluation's result: which checks suit the design, run and gathered for JSON.

:meth:`desist.evaluation.evaluate.Evaluation.fit` calls :func:`sensitivity_summary` once the outcome (and
survival) steps are done; the checks themselves live in :mod:`desist.evaluation.sensitivity`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation.sensitivity import e_value, innocent_deniers, rosenbaum_matched

if TYPE_CHECKING:
    import pandas as pd

    from desist.evaluation.outcomes import OutcomeResult
    from desist.evaluation.survival import SurvivalResult

#: why Rosenbaum bounds are missing when the design is not 1:1 pairs
NO_PAIRS = "Rosenbaum bounds need 1:1 pair matching without replacement (nearest-neighbour matching, ratio 1)"


def e_value_block(
    outcome: OutcomeResult,
    y: np.ndarray,
    treated: np.ndarray,
    survival: SurvivalResult | None = None,
    events: pd.Series | np.ndarray | None = None,
) -> dict[str, Any]:
    """E-values for the outcome estimate (risk ratio, or a standardised difference) and the hazard ratio."""
    e_block: dict[str, Any]
    if outcome.type == "binary" and outcome.risk_ratio is not None:
        rr = outcome.risk_ratio
        ev = e_value(rr.estimate, rr.ci[0], rr.ci[1], measure="RR")
        e_block = {"measure": "RR", "estimate": rr.estimate, "point": ev.point, "ci": ev.ci}
    else:
        # VanderWeele & Ding (2017): a standardised difference d maps to RR ~ exp(0.91 d)
        sd = float(np.std(y[~treated], ddof=1)) or float(np.std(y, ddof=1))
        if sd > 0:
            conv = [math.exp(0.91 * v / sd) for v in (outcome.estimate, *outcome.ci)]
            ev = e_value(conv[0], conv[1], conv[2], measure="RR")
            e_block = {
                "measure": "SMD (RR ~ exp(0.91 d))",
                "estimate": outcome.estimate / sd,
                "point": ev.point,
                "ci": ev.ci,
            }
        else:
            e_block = {}
    if survival is not None and events is not None:
        rare = events.astype(float).mean() < 0.15
        evh = e_value(survival.hazard_ratio, *survival.ci, measure="HR", rare=bool(rare))
        e_block["hazard_ratio"] = {"rare_outcome": bool(rare), "point": evh.point, "ci": evh.ci}
    return e_block


def sensitivity_summary(
    outcome: OutcomeResult,
    y: np.ndarray,
    treated: np.ndarray,
    weights: np.ndarray,
    clusters: pd.Series | np.ndarray | None,
    *,
    name: str,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    survival: SurvivalResult | None = None,
    events: pd.Series | np.ndarray | None = None,
    deniers: pd.Series | None = None,
    denier_base_rate: float | None = None,
    wilcoxon_zeros: str = "drop",
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """E-values, Rosenbaum bounds (1:1 pairs only) and the innocent-deniers scenario, as results report them.

    Parameters
    ----------
    outcome : OutcomeResult
        The fitted outcome step.
    y, treated, weights, clusters
        Outcome values, treatment, design weights and pair ids of the analysis rows.
    name : str
        The outcome column, for messages.
    pairs : (match_treated, match_matrix), optional
        The matched pairs of a 1:1 matching without replacement; None when the design has no such pairs.
    survival, events : optional
        The survival result and the event column, for the hazard ratio's E-value.
    deniers : Series, optional
        The 0/1 column marking men who maintained innocence (its name is used in messages).
    denier_base_rate : float, optional
        Outcome assumed for an innocent denier; None removes them instead.
    wilcoxon_zeros : {"drop", "pratt", "keep"}
        Zero paired differences in the Wilcoxon bound (see
        :func:`desist.evaluation.sensitivity.rosenbaum_wilcoxon`; "drop" is rbounds' ``psens``).

    Returns
    -------
    summary : dict
        ``e_value``, ``rosenbaum`` and, with ``deniers``, ``deniers``.
    deniers_table : DataFrame or None
        The innocent-deniers curve (see :func:`desist.evaluation.sensitivity.innocent_deniers`).
    """
    e_block = e_value_block(outcome, y, treated, survival, events)
    ros: dict[str, Any]
    if pairs is not None:
        ros = rosenbaum_matched(
            y, pairs[0], pairs[1], outcome.estimate, binary=outcome.type == "binary", zeros=wilcoxon_zeros
        )
    else:
        ros = {"available": False, "reason": NO_PAIRS}
    out: dict[str, Any] = {"e_value": e_block, "rosenbaum": ros}
    table = None
    if deniers is not None:
        if not set(np.asarray(deniers, dtype=object).tolist()) <= {0, 1}:
            raise InputError(f"deniers column {deniers.name!r}: expected 0/1 (maintains innocence)")
        table = innocent_deniers(
            y,
            treated,
            weights,
            deniers.astype(bool).to_numpy(),
            base_rate=denier_base_rate,
            clusters=clusters,
            name=name,
        )
        out["deniers"] = {
            "scenario": table.attrs["scenario"],
            "n_deniers": table.attrs["n_deniers"],
            "table": table.to_dict(orient="records"),
        }
    return out, table
