"""R's coxph fits on pbc, cgd (gap times), mgus2 and simulated tied pairs: survival/cox_reference.json.

Made by ``make_survival_reference.R``; each entry names its data set (the prefix of its name), covariates (the
R call) and the fitted quantities. ``design(name)`` rebuilds the data and covariate matrix desist fits.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).parent / "survival"
COVARIATES = {
    "pbc": ["age", "sex", "edema", "logbili", "albumin", "stage", "trt"],
    "cgd": ["treat", "sex", "age", "inherit", "steroids", "hos"],
    "mgus2": ["age", "sex", "hgb", "creat", "mspike"],
    "simpairs": ["treated", "band", "setting", "age"],
}
CLUSTER = {"cgd": "id", "simpairs": "pair"}


@cache
def reference() -> dict[str, Any]:
    with open(HERE / "cox_reference.json") as fh:
        out: dict[str, Any] = json.load(fh)
    for entry in out.values():  # R's JSON writer unboxes one-covariate fits to scalars
        if isinstance(entry["terms"], str):
            entry["terms"] = [entry["terms"]]
            for key in ("coef", "coef_default_control"):
                entry[key] = [entry[key]]
            for key in ("var", "naive_var"):
                if isinstance(entry[key], float):
                    entry[key] = [[entry[key]]]
                elif isinstance(entry[key], list) and not isinstance(entry[key][0], list):
                    entry[key] = [entry[key]]
    return out


def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"{name.split('_')[0]}.csv")


def covariates(name: str) -> list[str]:
    return ["treated"] if "_treated_" in name else COVARIATES[name.split("_")[0]]


def options(name: str) -> dict[str, Any]:
    """fit_cox keyword arguments for the R call behind ``name``."""
    call = reference()[name]["call"]
    return {
        "ties": "breslow" if "breslow" in call else "efron",
        "weights": "w" if "weights = w" in call else None,
        "cluster": CLUSTER[name.split("_")[0]] if "cluster =" in call else None,
        "robust": "robust = TRUE" in call,
    }


def r_term(name: str) -> str:
    """desist's dummy column name (``sex_m``) in R's spelling (``sexm``)."""
    return name.replace("_", "")
