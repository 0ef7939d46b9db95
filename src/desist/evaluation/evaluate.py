"""The evaluation pipeline in one object: design (matching or weighting), balance, outcome, survival,
sensitivity and subgroups, configured once and fitted on a DataFrame.

Example
-------
>>> from desist.evaluation.simulate import simulate_cohort
>>> data = simulate_cohort(2000, seed=1, intercept=-2.0)
>>> ev = Evaluation("treated", "reoffended_2y", ["age", "risk_band", "prior_sexual"], caliper=0.2).fit(data)
>>> ev.n_["treated_matched"] == ev.n_["control_matched"]
True
>>> list(ev.summary().measure)
['difference', 'risk_ratio', 'odds_ratio']
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from desist.domain.errors import AnalysisError, InputError
from desist.evaluation._checks import check_finite, check_roles, check_settings, check_subgroup_levels
from desist.evaluation._plotting import PlotPath
from desist.evaluation.outcomes import JDL_MIN_TREATED, OutcomeResult, estimate_outcome, outcome_type
from desist.evaluation.report import plain_language
from desist.evaluation.sensitivity_summary import sensitivity_summary

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

    from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
    from desist.evaluation.subgroups import SubgroupResult
    from desist.evaluation.survival import SurvivalResult
    from desist.evaluation.weighting import IPWWeighter

    #: what the design step gives: a matcher or a weighter (the AIPW design is its IPW weighter)
    Design = NearestNeighborMatcher | SubclassMatcher | IPWWeighter

METHODS = ("nearest", "subclass", "ipw", "aipw")
MIN_TREATED = 10
#: the design settings the JSON result records
REPORTED_SETTINGS = ("ratio", "replace", "caliper", "order", "exact", "distance", "bootstrap", "random_state")


class Evaluation:
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
    data_: pd.DataFrame
    design_: Design
    outcome_: OutcomeResult
    treated_: np.ndarray
    weights_: np.ndarray
    subclass_: pd.Series | None
    n_: dict[str, float]  # counts, and effective sample sizes for weighting designs
    balance_: pd.DataFrame
    warnings_: list[str]
    survival_: SurvivalResult | None
    sensitivity_: dict[str, Any]
    deniers_: pd.DataFrame | None
    subgroups_: SubgroupResult | None
    plain_language_: str
    fitted_at_: str
    dropped_: int

    def __init__(
        self,
        treatment: str,
        outcome: str,
        covariates: list[str],
        *,
        method: str = "nearest",
        estimand: str = "ATT",
        ratio: int = 1,
        replace: bool = False,
        caliper: float | None = None,
        std_caliper: bool = True,
        order: str | None = None,
        exact: list[str] | None = None,
        distance: str = "glm",
        discard: str = "none",
        n_subclasses: int = 6,
        trim: float | None = None,
        time: str | None = None,
        event: str | None = None,
        subgroup: str | None = None,
        deniers: str | None = None,
        denier_base_rate: float | None = None,
        bootstrap: int = 0,
        missing: str = "error",
        window: str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.treatment, self.outcome, self.covariates = treatment, outcome, covariates
        self.method, self.estimand, self.ratio, self.replace = method, estimand, ratio, replace
        self.caliper, self.std_caliper, self.order, self.exact = caliper, std_caliper, order, exact
        self.distance, self.discard, self.n_subclasses, self.trim = distance, discard, n_subclasses, trim
        self.time, self.event, self.subgroup = time, event, subgroup
        self.deniers, self.denier_base_rate = deniers, denier_base_rate
        self.bootstrap, self.missing = bootstrap, missing
        self.window, self.random_state = window, random_state
        self._check_settings()

    def _check_settings(self) -> None:
        # at construction, so a bad setting is refused before any data is read (and again in fit)
        check_settings(self.bootstrap, self.denier_base_rate)
        check_roles(self.treatment, self.outcome, self.covariates, self.time, self.event)

    # ---------------------------------------------------------------- input
    def _columns(self) -> list[str]:
        cols = [self.treatment, self.outcome, *self.covariates, *(self.exact or [])]
        cols += [c for c in (self.time, self.event, self.subgroup, self.deniers) if c]
        return list(dict.fromkeys(cols))

    def _prepare(self, data: Any) -> pd.DataFrame:
        from desist.evaluation.design import as_pandas, check_columns, complete_rows, treatment_vector

        if self.method not in METHODS:
            raise InputError(f"method {self.method!r}: expected one of {', '.join(METHODS)}")
        if self.estimand not in ("ATT", "ATE"):
            raise InputError(f"estimand {self.estimand!r}: expected ATT or ATE")
        if self.method == "nearest" and self.estimand == "ATE":
            raise InputError(
                "estimand ATE: nearest-neighbour matching estimates the ATT; use ipw, aipw or subclass"
            )
        if self.method == "aipw" and self.bootstrap:
            raise InputError("bootstrap: not available with aipw, whose CIs come from its influence function")
        if self.missing not in ("error", "drop"):
            raise InputError(f"missing {self.missing!r}: expected error or drop")
        if (self.time is None) != (self.event is None):
            raise InputError("survival: give both --time and --event, or neither")
        self._check_settings()
        df = as_pandas(data)
        check_columns(df, self._columns(), "column")
        df, self.dropped_ = complete_rows(df, self._columns(), drop=self.missing == "drop")
        df = df.reset_index(drop=True)
        if self.time:
            check_finite(df, [self.time], label="--time")
        if self.subgroup:  # before the design is fitted, not after
            check_subgroup_levels(df, self.subgroup)
        t = treatment_vector(df, self.treatment)
        if t.sum() < MIN_TREATED:
            raise AnalysisError(
                f"only {int(t.sum())} treated people in {self.treatment!r}; at least "
                f"{MIN_TREATED} are needed for any estimate"
            )
        return df

    # ---------------------------------------------------------------- design + outcome
    def _design(self, df: pd.DataFrame, covariates: list[str], exact: list[str] | None) -> Design:
        if self.method == "nearest":
            from desist.evaluation.matching import NearestNeighborMatcher

            return NearestNeighborMatcher(
                distance=self.distance,
                ratio=self.ratio,
                replace=self.replace,
                caliper=self.caliper,
                std_caliper=self.std_caliper,
                order=self.order,
                exact=exact,
                discard=self.discard,
                estimand=self.estimand,
                random_state=self.random_state,
            ).fit(df, self.treatment, covariates)
        if self.method == "subclass":
            from desist.evaluation.matching import SubclassMatcher

            return SubclassMatcher(
                n_subclasses=self.n_subclasses, estimand=self.estimand, distance=self.distance
            ).fit(df, self.treatment, covariates)
        from desist.evaluation.weighting import IPWWeighter

        return IPWWeighter(
            estimand=self.estimand,
            trim=self.trim,
            method="gbm" if self.distance == "gbm" else "glm",
            random_state=self.random_state,
        ).fit(df, self.treatment, covariates)

    def _clusters(self, design: Design) -> pd.Series | None:
        # pairs are clusters only when each control appears in one matched set (MatchIt's advice)
        if self.method == "nearest" and not self.replace:
            return cast("NearestNeighborMatcher", design).subclass_.reset_index(drop=True)
        return None

    def _fit_one(
        self, df: pd.DataFrame, covariates: list[str], exact: list[str] | None
    ) -> tuple[Design, OutcomeResult]:
        from desist.evaluation.balance import check_common_support

        design = self._design(df, covariates, exact)
        t = np.asarray(design.treated_, dtype=bool)
        w = np.asarray(design.weights_, dtype=float)
        score = getattr(design, "ps_", None)
        score = getattr(design, "distance_", None) if score is None else score
        check_common_support(score, t, w)
        y = df[self.outcome]
        result: OutcomeResult
        if self.method == "aipw":
            from desist.evaluation.aipw import AIPWEstimator
            from desist.evaluation.design import design_matrix

            est = AIPWEstimator(
                estimand=self.estimand,
                trim=self.trim,
                method="gbm" if self.distance == "gbm" else "glm",
                random_state=self.random_state,
            )
            result = est.fit(
                design_matrix(df, covariates), t, pd.to_numeric(y, errors="coerce"), name=self.outcome
            ).result_
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = estimate_outcome(
                    y,
                    t,
                    w,
                    self._clusters(design),
                    name=self.outcome,
                    estimand=self.estimand,
                    bootstrap=self.bootstrap,
                    seed=self.random_state,
                )
        return design, result

    # ---------------------------------------------------------------- fit
    def fit(self, data: Any) -> Evaluation:
        """Run the design, balance, outcome, survival, sensitivity and subgroup steps; returns self."""
        from desist.evaluation.balance import balance_table

        df = self._prepare(data)
        self.data_ = df
        self.design_, self.outcome_ = self._fit_one(df, self.covariates, self.exact)
        d = self.design_
        self.treated_ = np.asarray(d.treated_, dtype=bool)
        self.weights_ = np.asarray(d.weights_, dtype=float)
        self.subclass_ = self._clusters(d)
        self.n_ = {**d.n_}
        self.balance_ = balance_table(
            df, self.treatment, self.covariates, weights=self.weights_, estimand=self.estimand
        )
        self.warnings_ = list(self.outcome_.warnings)
        if self.dropped_:
            self.warnings_.append(f"{self.dropped_} rows with missing values were dropped")
        flagged = self.balance_[self.balance_["smd_after"].abs() > 0.1]
        if len(flagged):
            self.warnings_.append(
                "covariates still imbalanced after the design (|SMD| > 0.1): "
                + ", ".join(map(str, flagged["covariate"]))
            )
        self.survival_ = None
        if self.time:
            from desist.evaluation.survival import compare_survival

            assert self.event is not None  # checked in _prepare: time and event come together
            self.survival_ = compare_survival(
                df, self.time, self.event, self.treated_, self.weights_, self.subclass_
            )
        self.sensitivity_ = self._sensitivity(df)
        self.subgroups_ = None
        if self.subgroup:
            from desist.evaluation.subgroups import subgroup_effects

            covs = [c for c in self.covariates if c != self.subgroup]
            exact = [c for c in (self.exact or []) if c != self.subgroup] or None
            self.subgroups_ = subgroup_effects(
                df,
                self.subgroup,
                self.treatment,
                lambda part: self._fit_one(part.reset_index(drop=True), covs, exact)[1],
                min_treated=MIN_TREATED,
            )
        window = self.window
        comparison = (
            "the matched comparison group"
            if self.method in ("nearest", "subclass")
            else "the weighted comparison group"
        )
        self.plain_language_ = plain_language(self.outcome_, window=window, comparison=comparison)
        self.fitted_at_ = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def _sensitivity(self, df: pd.DataFrame) -> dict[str, Any]:
        y = pd.to_numeric(df[self.outcome], errors="coerce").to_numpy(dtype=float)
        pairs = None
        if self.method == "nearest" and not self.replace and self.ratio == 1:
            matcher = cast("NearestNeighborMatcher", self.design_)
            pairs = (matcher.match_treated_, matcher.match_matrix_)
        out, self.deniers_ = sensitivity_summary(
            self.outcome_,
            y,
            self.treated_,
            self.weights_,
            self.subclass_,
            name=self.outcome,
            pairs=pairs,
            survival=self.survival_,
            events=df[self.event] if self.event else None,
            deniers=df[self.deniers] if self.deniers else None,
            denier_base_rate=self.denier_base_rate,
        )
        return out

    # ---------------------------------------------------------------- views
    def _check_fitted(self) -> None:
        if not hasattr(self, "outcome_"):
            raise AnalysisError("this Evaluation is not fitted yet; call fit(data) first")

    def summary(self) -> pd.DataFrame:
        """Effect measures with 95% CIs: difference, risk/odds ratios, and the hazard ratio if fitted."""
        self._check_fitted()
        frame = self.outcome_.to_frame()
        if self.survival_ is not None:
            s = self.survival_
            row = ["hazard_ratio", s.hazard_ratio, s.ci[0], s.ci[1], s.p_value]
            frame.loc[len(frame)] = row  # type: ignore[assignment]  # pandas-stubs: no list row for .loc
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON result."""
        self._check_fitted()
        bal = self.balance_.astype(object).where(self.balance_.notna(), None).to_dict(orient="records")
        return {
            "estimand": self.estimand,
            "method": self.method,
            "settings": {k: getattr(self, k) for k in REPORTED_SETTINGS if k in self.__dict__},
            "n": self.n_,
            "outcome": self.outcome_.to_dict(),
            "balance": bal,
            "sensitivity": self.sensitivity_,
            "subgroups": self.subgroups_.to_dict() if self.subgroups_ is not None else None,
            **({"survival": self.survival_.to_dict()} if self.survival_ is not None else {}),
            "plain_language": self.plain_language_,
            "warnings": self.warnings_,
            "rows_dropped": self.dropped_,
            "fitted_at": self.fitted_at_,
        }

    def plot_balance(self, path: PlotPath | None = None, threshold: float = 0.1) -> Any:
        """Love plot of SMDs before and after the design."""
        from desist.evaluation.balance import love_plot

        self._check_fitted()
        return love_plot(self.balance_, path=path, threshold=threshold)

    def plot_survival(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """Weighted Kaplan-Meier curves of the two arms."""
        from desist.evaluation.survival import plot_survival

        self._check_fitted()
        if self.survival_ is None:
            raise InputError("plot_survival: no survival analysis; give time and event columns")
        return plot_survival(self.survival_, path=path)

    def plot_deniers(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """The estimate as more men maintaining innocence are assumed innocent."""
        from desist.evaluation.sensitivity import plot_deniers

        self._check_fitted()
        if self.deniers_ is None:
            raise InputError("plot_deniers: no innocent-deniers scenario; give the deniers column")
        return plot_deniers(self.deniers_, path=path)

    def plot_subgroups(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """Forest plot of the subgroup effects."""
        from desist.evaluation.subgroups import plot_subgroups

        self._check_fitted()
        if self.subgroups_ is None:
            raise InputError("plot_subgroups: no subgroup analysis; give the subgroup column")
        return plot_subgroups(self.subgroups_, path=path)


__all__ = ["Evaluation", "OutcomeResult", "JDL_MIN_TREATED", "outcome_type"]
