"""desist.evaluation: did a programme reduce reoffending, for whom, and how sure are we?

Statistics only: takes DataFrames (pandas or polars), never touches the database. The names below
are re-exported lazily (PEP 562) so that ``from desist.evaluation.sensitivity import e_value`` stays
light and does not load lifelines or statsmodels.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Evaluation": "desist.evaluation.evaluate",
    "evaluate": "desist.evaluation.evaluate",
    "EvaluationSpec": "desist.evaluation.spec",
    "EvaluationResult": "desist.evaluation.result",
    "clone": "desist.evaluation.estimator",
    "PropensityModel": "desist.evaluation.propensity",
    "NearestNeighborMatcher": "desist.evaluation.matching",
    "SubclassMatcher": "desist.evaluation.matching",
    "MATCHERS": "desist.evaluation.matching",
    "IPWWeighter": "desist.evaluation.weighting",
    "AIPWEstimator": "desist.evaluation.aipw",
    "balance_table": "desist.evaluation.balance",
    "love_plot": "desist.evaluation.balance",
    "e_value": "desist.evaluation.sensitivity",
    "rosenbaum_binary": "desist.evaluation.sensitivity",
    "jdl_followup": "desist.evaluation.followup",
    "simulate_cohort": "desist.evaluation.simulate",
    "render_report": "desist.evaluation.report_html",
    "Wording": "desist.evaluation.wording",
}

__all__ = sorted(_EXPORTS)


def __dir__() -> list[str]:
    """The public names, so tab completion lists them before any is imported."""
    return sorted([*__all__, "__all__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'desist.evaluation' has no attribute {name!r}")
