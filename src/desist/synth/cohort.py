"""The Core SOTP evaluation data set from a generated population held in memory.

The cohort itself is :func:`desist.evaluation.cohort.programme_cohort` - the catalogue's eligibility for Core
SOTP, the assessment in force, Justice Data Lab outcomes - the same code that
:func:`desist.services.evaluations.evaluate_programme` runs on the casework store; this module only lays the
generated frames out as the store's tables (the import layout) for benchmarks and tests that skip the
database.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from desist.evaluation.cohort import COVARIATES
from desist.evaluation.cohort import naive_rates as _naive_rates

__all__ = ["COVARIATES", "evaluation_cohort", "naive_rates", "tables_from_population"]


def tables_from_population(pop: object) -> dict[str, pd.DataFrame]:
    """The five import-layout tables of a generated :class:`~desist.synth.generate.Population`."""
    men: pd.DataFrame = pop.men  # type: ignore[attr-defined]
    return {
        "people": men[["prison_number", "date_of_birth", "maintains_innocence", "ldc"]],
        "sentences": men[["prison_number", "custody_start", "release_date"]].rename(
            columns={"custody_start": "start_date"}
        ),
        "osp": men[
            [
                "prison_number",
                "assessed_on",
                *COVARIATES[3:8],
                "stranger_victim",
                "osp_dc_points",
                "osp_dc_p",
                "osp_dc_band",
            ]
        ].rename(columns={"osp_dc_p": "osp_dc_probability"}),
        "history": pop.history,  # type: ignore[attr-defined]
        "outcomes": pop.outcomes,  # type: ignore[attr-defined]
    }


def evaluation_cohort(
    tables: dict[str, pd.DataFrame], end_of_data: str | dt.date, *, window_years: float = 5
) -> pd.DataFrame:
    """One row per man in the Core SOTP evaluation known at ``end_of_data`` (see
    :func:`desist.evaluation.cohort.programme_cohort`), with the 0/1 outcome ``sexual_reoffence`` within
    ``window_years`` of release, ``time_days`` and ``event``."""
    from desist.domain.catalogue import default_catalogue
    from desist.evaluation.cohort import default_spec, programme_cohort

    catalogue = default_catalogue()
    as_of = pd.Timestamp(end_of_data).date()
    spec = default_spec(window_years)
    return programme_cohort(tables, catalogue["SOTP-CORE"], catalogue, as_of, spec).frame


def naive_rates(cohort: pd.DataFrame) -> dict[str, float]:
    """Unadjusted sexual reoffending within the window, treated against untreated (the confounded view)."""
    return _naive_rates(cohort, "sexual_reoffence")
