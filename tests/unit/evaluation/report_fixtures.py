"""Evaluation results of several kinds, as the JSON a stored run holds, for the report's tests.

Small and hand-readable on purpose: each kind changes only what makes it that kind, so a failure points at
the rule that broke.
"""

from __future__ import annotations

import copy
from typing import Any

_BASE: dict[str, Any] = {
    "estimand": "ATT",
    "method": "nearest",
    "settings": {"ratio": 1, "replace": False, "caliper": 0.2, "exact": ["risk_band"], "distance": "glm"},
    "n": {"treated": 2562, "control": 13219, "treated_matched": 2498, "control_matched": 2498},
    "outcome": {
        "name": "sexual_reoffence",
        "type": "binary",
        "estimand": "ATT",
        "treated_mean": 0.100,
        "control_mean": 0.080,
        "estimate": 0.020,
        "se": 0.0081,
        "ci": [0.0041, 0.0359],
        "p_value": 0.0135,
        "ci_method": "cluster-robust (pairs)",
        "risk_ratio": {"estimate": 1.25, "ci": [1.05, 1.49]},
        "warnings": [],
    },
    "balance": [
        {"covariate": "age_at_release", "type": "continuous", "smd_before": -0.34, "smd_after": 0.02,
         "variance_ratio_after": 1.05},
        {"covariate": "osp_dc_points", "type": "continuous", "smd_before": 0.53, "smd_after": -0.03,
         "variance_ratio_after": 0.97},
        {"covariate": "risk_band_very high", "type": "binary", "smd_before": 0.21, "smd_after": 0.0,
         "variance_ratio_after": 1.0},
    ],
    "survival": {"hazard_ratio": 1.27, "ci": [1.06, 1.52], "p_value": 0.0098,
                 "events": {"treated": 250, "control": 200}},
    "sensitivity": {
        "e_value": {"measure": "RR", "point": 1.81, "ci": 1.28},
        "rosenbaum": {"available": True, "gamma_critical": 1.15,
                      "table": [{"gamma": 1.0, "p_upper": 0.006}, {"gamma": 1.25, "p_upper": 0.2}]},
    },
    "subgroups": {
        "column": "risk_band",
        "groups": [
            {"level": "very_high", "n_treated": 217, "treated_mean": 0.175, "control_mean": 0.10,
             "estimate": 0.075, "ci_low": 0.01, "ci_high": 0.14, "skipped": None},
            {"level": "high", "n_treated": 1100, "treated_mean": 0.11, "control_mean": 0.09,
             "estimate": 0.02, "ci_low": -0.005, "ci_high": 0.045, "skipped": None},
            {"level": "medium", "n_treated": 1181, "treated_mean": 0.06, "control_mean": 0.055,
             "estimate": 0.005, "ci_low": -0.014, "ci_high": 0.024, "skipped": None},
        ],
        "interaction": {"p_value": 0.04},
    },
    "warnings": [],
    "naive": {"treated": 0.100, "untreated": 0.055},
    "data_cutoff": "2016-12-31",
    "fingerprint": "sha256:0f3a9c",
    "desist_version": "0.1.0",
    "fitted_at": "2026-12-01T12:00:00+00:00",
    "run_id": 7,
}


def result(kind: str) -> dict[str, Any]:
    """A result of ``kind``: harm, benefit, null, mixed (rate unclear, hazard ratio harmful), imbalanced,
    too_few."""
    r = copy.deepcopy(_BASE)
    if kind == "harm":
        return r
    if kind == "benefit":
        r["outcome"].update(treated_mean=0.06, control_mean=0.08, estimate=-0.02, ci=[-0.0359, -0.0041])
        r["survival"].update(hazard_ratio=0.78, ci=[0.65, 0.93], p_value=0.006)
        return r
    if kind == "null":
        r["outcome"].update(treated_mean=0.077, control_mean=0.082, estimate=-0.005, ci=[-0.02, 0.01],
                            p_value=0.52)
        r["survival"].update(hazard_ratio=0.97, ci=[0.80, 1.18], p_value=0.77)
        r["sensitivity"]["rosenbaum"] = {"available": True, "gamma_critical": 1.0,
                                         "table": [{"gamma": 1.0, "p_upper": 0.71}]}
        r["sensitivity"]["e_value"] = {"measure": "RR", "point": 1.22, "ci": 1.0}
        r["subgroups"]["interaction"]["p_value"] = 0.61
        return r
    if kind == "mixed":
        r["outcome"].update(ci=[-0.002, 0.042], p_value=0.07)
        return r
    if kind == "imbalanced":
        r["balance"][1]["smd_after"] = 0.23
        r["warnings"] = ["covariates still imbalanced after the design (|SMD| > 0.1): osp_dc_points"]
        return r
    if kind == "too_few":
        return {"status": "too_few", "method": "nearest", "estimand": "ATT",
                "n": {"treated": 41, "control": 900}, "outcome": None, "balance": [], "sensitivity": {},
                "warnings": ["only 41 treated men: the Justice Data Lab needs at least 60 for an estimate"],
                "data_cutoff": "2019-03-31", "desist_version": "0.1.0"}
    raise ValueError(kind)


KINDS = ("harm", "benefit", "null", "mixed", "imbalanced", "too_few")
