"""report.html for a stored evaluation run: the words (programme name, outcome, window, covariate labels)
from the catalogue and ``data/analysis_labels.yaml``, the numbers from the run's stored result.

A report is a view of a run: rendering it twice gives the same page, and it needs nothing but the run (no data
are re-read), so a run stored years ago still prints as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from desist.evaluation.report_html import render_report
from desist.evaluation.wording import Wording
from desist.services.evaluations import StoredRun, get_run


@cache
def _labels() -> dict[str, dict[str, str]]:
    import yaml

    text = resources.files("desist").joinpath("data/analysis_labels.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


def _programme_name(code: str) -> str:
    from desist.domain.catalogue import default_catalogue

    catalogue = default_catalogue()
    # a run of a programme later removed from the catalogue still prints, by its code
    if code not in catalogue:
        return code
    name = catalogue[code].name
    return f"the {name}" if name.endswith("Programme") else name


def wording_for(result: Mapping[str, Any], programme: str | None = None) -> Wording:
    """Words for a result: the programme's catalogue name, the outcome (its reoffence kinds), the window."""
    spec = result.get("spec") or {}
    kinds = "+".join(sorted(spec.get("reoffence_kinds") or ()))
    years = spec.get("followup_years")
    window = spec.get("window") or (
        f"within {_years(years)} of release" if years is not None and spec.get("outcome") else None
    )
    labels = _labels()
    return Wording(
        programme=_programme_name(programme) if programme else "the programme",
        outcome=labels["outcomes"].get(kinds, "proven reoffending"),
        window=window,
        labels=labels["covariates"],
    )


def _years(y: float) -> str:
    y = float(y)
    if y.is_integer():
        return "one year" if y == 1 else f"{int(y)} years"
    return f"{y:g} years"


def run_report(run: StoredRun, extra_sections: Sequence[Mapping[str, Any]] = ()) -> str:
    """The HTML report of a stored run."""
    result = run.result.to_dict()
    result.update(run_id=run.id, data_cutoff=run.as_of.isoformat())
    w = wording_for(result, run.programme)
    return render_report(
        result,
        wording=w,
        subtitle=f"Evaluation run {run.id} of {run.programme}, data to {run.as_of.isoformat()}, "
        f"stored {run.created_at[:10]} by {run.actor}",
        extra_sections=extra_sections,
    )


def report_of_run(run_id: int, uow: Any) -> str:
    """``desist report RUN_ID``: the HTML report of stored run ``run_id``."""
    return run_report(get_run(uow, run_id))


__all__ = ["report_of_run", "run_report", "wording_for"]
