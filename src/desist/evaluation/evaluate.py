"""The evaluation pipeline in one object: design (matching or weighting), balance, outcome, survival,
sensitivity and subgroups, configured once and fitted on a DataFrame.

Example
-------
>>> from desist.evaluation.simulate import simulate_cohort
>>> data = simulate_cohort(2000, seed=1, intercept=-2.0)
>>> ev = Evaluation("treated", "reoffended_2y", ["age", "risk_band", "prior_sexual"], caliper=0.2).fit(data)
>>> ev.n_["treated_matched"] == ev.n_["control_matched"]
True
>>> list(ev.to_frame().measure)
['difference', 'risk_ratio', 'odds_ratio']
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from desist.domain.errors import AnalysisError
from desist.evaluation import _background as background
from desist.evaluation._checks import check_finite, check_subgroup_levels
from desist.evaluation._evaluation_plots import EvaluationPlots
from desist.evaluation._frame import Columns, as_columns, to_float
from desist.evaluation._keywords import KeywordSettings
from desist.evaluation.estimator import clone
from desist.evaluation.outcomes import JDL_MIN_TREATED, OutcomeResult, estimate_outcome, outcome_type
from desist.evaluation.report import plain_language
from desist.evaluation.result import EvaluationResult, fingerprint, plain
from desist.evaluation.sensitivity_summary import sensitivity_summary
from desist.evaluation.spec import DESIGNS, EvaluationSpec

if TYPE_CHECKING:
    import pandas as pd

    from desist.evaluation.aipw import AIPWEstimator
    from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
    from desist.evaluation.subgroups import SubgroupResult
    from desist.evaluation.summary import ResultSummary
    from desist.evaluation.survival import SurvivalResult
    from desist.evaluation.weighting import IPWWeighter

    #: what the design step gives: a matcher or a weighter (the AIPW design is its IPW weighter)
    Design = NearestNeighborMatcher | SubclassMatcher | IPWWeighter

METHODS = tuple(DESIGNS)
MIN_TREATED = 10


class Evaluation(KeywordSettings, EvaluationPlots):
    """Did the programme change the outcome? A MatchIt-then-outcome analysis with sensitivity checks.

    Parameters
    ----------
    treatment, outcome : str
        Column names; treatment is 0/1 (or bool).
    covariates : list of str
        Confounders for the design; string columns become dummies as in R's formulas.
    method : {"nearest", "subclass", "ipw", "aipw"}
    estimand : {"ATT", "ATE"}
        Nearest-neighbour matching estimates the ATT only (as MatchIt).
    ratio, replace, caliper, std_caliper, order, exact, distance, discard, n_subclasses, trim
        Design settings, passed to the matcher or weighter (MatchIt's meanings).
    time, event : str, optional
        Time to first proven reoffence and event indicator: adds weighted Kaplan-Meier, log-rank and Cox.
    subgroup : str, optional
        Column whose levels are analysed separately (the design refitted in each), with an interaction test;
        at most 20 levels (band a continuous column first).
    deniers : str, optional
        Column marking men who maintained innocence: adds the innocent-deniers sensitivity scenario.
    denier_base_rate : float, optional
        Outcome assumed for an innocent denier (a proportion, 0 to 1); None removes them instead.
    bootstrap : int
        Cluster-bootstrap replicates for the outcome CIs (0 = analytic robust SEs), at most 100,000.
    missing : {"error", "drop"}
        What to do with rows missing any column used.
    window : str, optional
        Words for the follow-up window in the plain-language paragraph ("within two years").
    random_state : int, optional

    Attributes
    ----------
    design_ : the fitted matcher, weighter or AIPW estimator
    weights_, treated_, subclass_ : design weights, treatment, pair/subclass ids
    n_ : dict of sample sizes;  balance_ : DataFrame;  outcome_ : OutcomeResult;  survival_ : SurvivalResult
    sensitivity_ : dict;  deniers_ : DataFrame;  subgroups_ : SubgroupResult;  plain_language_ : str
    warnings_ : list of str;  dropped_ : int (rows dropped for missing values)
    """

    # fitted state, set by fit()
    data_: Columns  # the rows analysed (complete in the columns used), numbered 0..n-1
    design_: Design
    outcome_: OutcomeResult
    treated_: np.ndarray
    weights_: np.ndarray
    # pair/matched-set ids (subclass_ as numpy), 0 for none: only for men with weight 0, whom the outcome,
    # sensitivity and survival steps leave out, so 0 is never read as a pair
    pair_ids_: np.ndarray | None
    n_: dict[str, float | None]  # counts, effective sample sizes (weighting), tied matched sets
    balance_rows_: list[dict[str, Any]]  # balance_ as rows
    warnings_: list[str]
    survival_: SurvivalResult | None
    sensitivity_: dict[str, Any]
    deniers_: pd.DataFrame | None
    subgroups_: SubgroupResult | None
    plain_language_: str
    fitted_at_: str
    dropped_: int
    spec_: EvaluationSpec
    data_fingerprint_: str

    @property
    def subclass_(self) -> pd.Series | None:
        """Pair or matched-set ids (pandas Int64, <NA> for none) when pairs are clusters, else None."""
        if self.pair_ids_ is None:
            return None
        import pandas as pd

        ids = self.pair_ids_.astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(ids, ids == 0), name="subclass")

    @property
    def balance_(self) -> pd.DataFrame:
        """The balance table (:func:`desist.evaluation.balance.balance_table`) as a pandas frame."""
        import pandas as pd

        from desist.evaluation.balance import COLUMNS

        return pd.DataFrame(self.balance_rows_, columns=list(COLUMNS))

    # ---------------------------------------------------------------- input
    def _prepare(self, data: Any) -> Columns:
        from desist.evaluation.design import check_columns, complete_rows, treatment_vector

        sp = self.spec_
        df = as_columns(data)
        check_columns(df, sp.columns(), "column")
        # the fingerprint needs nothing else: on national files it runs beside the design (_background.py)
        self._fingerprint = background.start(len(df), fingerprint, df, sp.columns())
        df, self.dropped_ = complete_rows(df, sp.columns(), drop=sp.missing == "drop")
        # rows numbered 0..n-1 (the caller's index is not carried): views of the columns, not copies
        df = Columns({k: df[k] for k in df.columns}, len(df), df.levels)
        if sp.time:
            check_finite(df, [sp.time], label="time")
        if sp.subgroup:  # before the design is fitted, not after
            check_subgroup_levels(df, sp.subgroup)
        t = treatment_vector(df, sp.treatment)
        if t.sum() < MIN_TREATED:
            raise AnalysisError(
                f"only {int(t.sum())} treated people in {sp.treatment!r}; at least "
                f"{MIN_TREATED} are needed for any estimate"
            )
        return df

    # ---------------------------------------------------------------- design + outcome
    def _design(self, df: Columns, covariates: list[str], exact: list[str] | None) -> Design:
        sp = self.spec_
        design = sp.design
        if sp.method == "aipw":
            # AIPW's balance weights are plain IPW weights from the same propensity model; its ``trim``
            # clips the scores inside the estimator and is not a weight quantile, so it is not passed on
            from desist.evaluation.weighting import IPWWeighter

            a = cast("AIPWEstimator", design)
            return IPWWeighter(estimand=a.estimand, method=a.method, random_state=a.random_state).fit(
                df, sp.treatment, covariates
            )
        if sp.method == "nearest":
            nearest = clone(cast("NearestNeighborMatcher", design), exact=exact)
            return nearest.fit(df, sp.treatment, covariates)
        return clone(cast("SubclassMatcher | IPWWeighter", design)).fit(df, sp.treatment, covariates)

    def _clusters(self, design: Design) -> np.ndarray | None:
        # pairs are clusters only when each control appears in one matched set (MatchIt's advice)
        if self.spec_.method == "nearest" and not cast("NearestNeighborMatcher", design).replace:
            ids: np.ndarray = cast("NearestNeighborMatcher", design).subclass_ids_
            return ids
        return None

    def _fit_one(
        self, data: Any, covariates: list[str], exact: list[str] | None
    ) -> tuple[Design, OutcomeResult]:
        from desist.evaluation.balance import check_common_support

        sp = self.spec_
        df = as_columns(data)
        design = self._design(df, covariates, exact)
        t = np.asarray(design.treated_, dtype=bool)
        w = np.asarray(design.weights_, dtype=float)
        score = getattr(design, "ps_", None)
        score = getattr(design, "distance_", None) if score is None else score
        check_common_support(score, t, w)
        y = df[sp.outcome]
        result: OutcomeResult
        if sp.method == "aipw":
            from desist.evaluation.design import design_matrix

            est = clone(cast("AIPWEstimator", sp.design))
            result = est.fit(design_matrix(df, covariates), t, to_float(y), name=sp.outcome).result_
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = estimate_outcome(
                    y,
                    t,
                    w,
                    self._clusters(design),
                    name=sp.outcome,
                    estimand=sp.estimand,
                    bootstrap=sp.bootstrap,
                    seed=sp.random_state,
                )
        return design, result

    # ---------------------------------------------------------------- fit
    def fit(self, data: Any) -> Evaluation:
        """Run the design, balance, outcome, survival, sensitivity and subgroup steps; returns self."""
        from desist.evaluation.balance import balance_rows

        self.spec_ = sp = self.spec
        df = self._prepare(data)
        self.data_ = df
        covariates = list(sp.covariates)
        exact = getattr(sp.design, "exact", None)
        self.design_, self.outcome_ = self._fit_one(df, covariates, exact)
        d = self.design_
        self.treated_ = np.asarray(d.treated_, dtype=bool)
        self.weights_ = np.asarray(d.weights_, dtype=float)
        self.pair_ids_ = self._clusters(d)
        self.n_ = {**d.n_, "matched_sets_with_ties": 0}
        if sp.method == "nearest":
            from desist.evaluation.ties import matched_sets_with_ties

            ties = matched_sets_with_ties(cast("NearestNeighborMatcher", d), df)
            self.n_["matched_sets_with_ties"] = ties
        self.balance_rows_ = balance_rows(
            df, sp.treatment, covariates, weights=self.weights_, estimand=sp.estimand
        )
        self.data_fingerprint_ = self._fingerprint.result()
        self.warnings_ = list(self.outcome_.warnings)
        if self.dropped_:
            self.warnings_.append(f"{self.dropped_} rows with missing values were dropped")
        if self.n_["matched_sets_with_ties"]:
            self.warnings_.append(
                f"in {self.n_['matched_sets_with_ties']} matched sets a control was picked among controls at "
                "exactly equal distance; desist breaks ties as R's MatchIt 4.7 does, but another rule or "
                "another order of the rows could pick other controls and move the estimate a little"
            )
        flagged = [str(r["covariate"]) for r in self.balance_rows_ if abs(r["smd_after"]) > 0.1]
        if flagged:
            self.warnings_.append(
                "covariates still imbalanced after the design (|SMD| > 0.1): " + ", ".join(flagged)
            )
        self.survival_ = None
        if sp.time:
            from desist.evaluation.survival import compare_survival

            assert sp.event is not None  # the spec checks that time and event come together
            self.survival_ = compare_survival(
                df.select([sp.time, sp.event]).to_pandas(), sp.time, sp.event, self.treated_, self.weights_,
                self.subclass_,
            )
        self.sensitivity_ = self._sensitivity(df)
        self.subgroups_ = None
        if sp.subgroup:
            from desist.evaluation.subgroups import subgroup_effects

            group = sp.subgroup
            covs = [c for c in covariates if c != group]
            sub_exact = [c for c in (exact or []) if c != group] or None
            self.subgroups_ = subgroup_effects(
                df.to_pandas(),
                group,
                sp.treatment,
                lambda part: self._fit_one(part.reset_index(drop=True), covs, sub_exact)[1],
                min_treated=MIN_TREATED,
            )
        self.plain_language_ = plain_language(
            self.outcome_,
            window=sp.window,
            method=sp.method,
            survival=self.survival_.to_dict() if self.survival_ is not None else None,
        )
        self.fitted_at_ = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def _sensitivity(self, df: Columns) -> dict[str, Any]:
        sp = self.spec_
        y = to_float(df[sp.outcome])
        pairs = None
        if sp.method == "nearest":
            matcher = cast("NearestNeighborMatcher", self.design_)
            if not matcher.replace and matcher.ratio == 1:
                pairs = (matcher.match_treated_, matcher.match_matrix_)
        out, self.deniers_ = sensitivity_summary(
            self.outcome_,
            y,
            self.treated_,
            self.weights_,
            self.pair_ids_,
            name=sp.outcome,
            pairs=pairs,
            survival=self.survival_,
            events=df[sp.event] if sp.event else None,
            deniers=df.select([sp.deniers]).to_pandas()[sp.deniers] if sp.deniers else None,
            denier_base_rate=sp.denier_base_rate,
        )
        return out

    # ---------------------------------------------------------------- views
    def _check_fitted(self) -> None:
        if not hasattr(self, "outcome_"):
            raise AnalysisError("this Evaluation is not fitted yet; call fit(data) first")

    def summary(self) -> ResultSummary:
        """The effects with counts and design diagnostics: ``self.result().summary()``."""
        return self.result().summary()

    def to_frame(self) -> pd.DataFrame:
        """Effect measures with 95% CIs: difference, risk/odds ratios, and the hazard ratio if fitted."""
        self._check_fitted()
        import pandas as pd

        from desist.evaluation.outcomes import MEASURE_COLUMNS

        return pd.DataFrame(self._estimate_rows(), columns=list(MEASURE_COLUMNS))

    def _estimate_rows(self) -> list[dict[str, Any]]:
        """:meth:`to_frame`'s rows, without pandas."""
        rows = self.outcome_.rows()
        if self.survival_ is not None:
            s = self.survival_
            rows.append(
                {"measure": "hazard_ratio", "estimate": s.hazard_ratio, "ci_low": s.ci[0], "ci_high": s.ci[1],
                 "p_value": s.p_value}
            )  # fmt: skip
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON result: :meth:`result` as plain values."""
        return self.result().to_dict()

    def settings_applied(self) -> dict[str, Any]:
        """The design's settings as it ran: its parameters, plus what it decided (the matching order and the
        caliper in distance units; the subclasses formed)."""
        self._check_fitted()
        sp, d = self.spec_, self.design_
        out: dict[str, Any] = {"method": sp.method, "params": sp.to_dict()["design"]["params"]}
        if sp.method == "nearest":
            m = cast("NearestNeighborMatcher", d)
            out["order"], out["caliper_distance_units"] = m.order_, m.caliper_
        elif sp.method == "subclass":
            sub = cast("SubclassMatcher", d)
            out["n_subclasses"] = int(np.unique(sub.subclass_ids_[sub.subclass_ids_ > 0]).size)
            out["cuts"] = [float(c) for c in np.asarray(sub.cuts_, dtype=float).ravel()]
        out["bootstrap"], out["random_state"] = sp.bootstrap, sp.random_state
        return out

    def result(
        self,
        *,
        source: dict[str, Any] | None = None,
        data_cutoff: str | None = None,
        treatment: dict[str, Any] | None = None,
    ) -> EvaluationResult:
        """The frozen :class:`EvaluationResult` of this fit.

        Parameters
        ----------
        source : dict, optional
            Where the data came from (``{"kind": "file", "path": ...}``, or the programme and database).
        data_cutoff : str, optional
            ISO date the data were complete to (the ``as_of`` of a store evaluation).
        treatment : dict, optional
            How treatment was defined, added to ``{"column": ...}``.
        """
        self._check_fitted()
        sp = self.spec_
        return EvaluationResult(
            method=sp.method,
            estimand=sp.estimand,
            spec=sp.to_dict(),
            settings_applied=plain(self.settings_applied()),
            treatment=plain({"column": sp.treatment, **(treatment or {})}),
            covariates=list(sp.covariates),
            source=plain(source or {"kind": "data frame"}),
            data_cutoff=data_cutoff,
            data_fingerprint=self.data_fingerprint_,
            n=plain(self.n_),
            estimates=plain(self._estimate_rows()),
            outcome=plain(self.outcome_.to_dict()),
            balance=plain(self.balance_rows_),
            survival=plain(self.survival_.to_dict()) if self.survival_ is not None else None,
            sensitivity=plain(self.sensitivity_),
            subgroups=plain(self.subgroups_.to_dict()) if self.subgroups_ is not None else None,
            plain_language=self.plain_language_,
            warnings=list(self.warnings_),
            rows_dropped=int(self.dropped_),
            desist_version=desist_version(),
            fitted_at=self.fitted_at_,
            charts=plain(self._charts()),
            naive=plain(self._naive()),
        )

    def _naive(self) -> dict[str, float]:
        """The outcome's plain mean among treated and untreated men, before matching or weighting."""
        y = to_float(self.data_[self.spec_.outcome])
        t = self.treated_
        return {"treated": float(np.nanmean(y[t])), "untreated": float(np.nanmean(y[~t]))}

    def _charts(self) -> dict[str, Any]:
        """The chart data report.html needs (see :mod:`desist.evaluation.chart_data`)."""
        from desist.evaluation.chart_data import overlap

        out: dict[str, Any] = {}
        if self.survival_ is not None and self.survival_.chart is not None:
            out["survival"] = self.survival_.chart
        score = getattr(self.design_, "ps_", None)
        score = getattr(self.design_, "distance_", None) if score is None else score
        if score is not None and np.ndim(score) == 1 and len(score) == len(self.treated_):
            out["overlap"] = overlap(score, self.treated_, self.weights_)
        return out


def desist_version() -> str:
    from desist import __version__

    return __version__


def evaluate(
    data: Any,
    spec: EvaluationSpec,
    *,
    source: dict[str, Any] | None = None,
    data_cutoff: str | None = None,
    treatment: dict[str, Any] | None = None,
) -> EvaluationResult:
    """Run ``spec`` on ``data`` (pandas or polars) and return the frozen :class:`EvaluationResult`.

    The front door: ``Evaluation.from_spec(spec).fit(data).result(...)`` in one call (keep the
    :class:`Evaluation` when the plots are wanted too).
    """
    return (
        Evaluation.from_spec(spec)
        .fit(data)
        .result(source=source, data_cutoff=data_cutoff, treatment=treatment)
    )


__all__ = [
    "Evaluation",
    "EvaluationResult",
    "EvaluationSpec",
    "evaluate",
    "OutcomeResult",
    "JDL_MIN_TREATED",
    "outcome_type",
]
