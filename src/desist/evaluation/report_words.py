"""The words a report uses for a result: the programme's name from the catalogue, the outcome from its
reoffence kinds and the covariates' readable names from ``data/analysis_labels.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from desist.evaluation.wording import Wording


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


__all__ = ["wording_for"]
