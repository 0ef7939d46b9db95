"""The library refuses what the CLI refuses: Python users of Evaluation and fit_cox get the same one-line
errors."""

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi

from desist.domain.errors import AnalysisError, DesistError, InputError
from desist.evaluation.evaluate import Evaluation
from desist.evaluation.simulate import simulate_cohort
from desist.evaluation.survival import compare_survival, fit_cox

COVS = ["age", "risk_band", "prior_sexual"]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(400, seed=4, intercept=-2.0)


def _one_line(exc: DesistError) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


@pytest.mark.parametrize(
    ("options", "mentions"),
    [
        ({"denier_base_rate": 1.5, "deniers": "maintains_innocence"}, ("denier_base_rate", "0 to 1")),
        ({"denier_base_rate": -0.1, "deniers": "maintains_innocence"}, ("denier_base_rate", "0 to 1")),
        ({"denier_base_rate": float("nan"), "deniers": "maintains_innocence"}, ("denier_base_rate",)),
        ({"bootstrap": 100_001}, ("bootstrap", "up to 100,000")),
        ({"bootstrap": -1}, ("bootstrap", "up to 100,000")),
        ({"outcome": "treated"}, ("outcome", "treatment column")),
        ({"covariates": ["age", "reoffended_2y"]}, ("'reoffended_2y'", "outcome column")),
        ({"covariates": ["age", "treated"]}, ("'treated'", "treatment column")),
        ({"time": "event", "event": "event"}, ("event", "the time column")),
        ({"time": "time_days", "event": "event", "covariates": ["age", "time_days"]},
         ("'time_days'", "time column")),
        ({"time": "treated", "event": "event"}, ("time", "treatment column")),
    ],
    ids=["base-rate-1.5", "base-rate-negative", "base-rate-nan", "bootstrap-huge", "bootstrap-negative",
         "outcome-is-treatment", "covariate-is-outcome", "covariate-is-treatment", "time-is-event",
         "covariate-is-time", "time-is-treatment"],
)
def test_evaluation_refuses_bad_settings_when_made(options, mentions):
    settings = {"treatment": "treated", "outcome": "reoffended_2y", "covariates": COVS, **options}
    with pytest.raises(InputError) as info:
        Evaluation(**settings)
    text = _one_line(info.value)
    for word in mentions:
        assert word in text


def test_evaluation_rechecks_settings_changed_after_construction(cohort):
    ev = Evaluation("treated", "reoffended_2y", COVS)
    ev.bootstrap = 10**20
    with pytest.raises(InputError, match="^bootstrap"):
        ev.fit(cohort)


def test_evaluation_refuses_an_infinite_follow_up_time(cohort):
    data = cohort.assign(time_days=cohort["time_days"].astype(float))
    data.loc[0, "time_days"] = np.inf
    ev = Evaluation("treated", "reoffended_2y", COVS, time="time_days", event="event")
    with pytest.raises(InputError) as info:
        ev.fit(data)
    assert "time 'time_days'" in _one_line(info.value) and "infinite" in str(info.value)


def test_compare_survival_refuses_infinite_and_all_zero_durations():
    n = 40
    data = pd.DataFrame({"t": np.arange(1.0, n + 1), "e": np.tile([0, 1], n // 2)})
    treated, weights = np.tile([True, False], n // 2), np.ones(n)
    with pytest.raises(InputError, match="infinite"):
        compare_survival(data.assign(t=np.r_[np.inf, data.t[1:]]), "t", "e", treated, weights)
    with pytest.raises(InputError, match="all 40 durations in 't' are 0"):
        compare_survival(data.assign(t=0.0), "t", "e", treated, weights)


@pytest.fixture(scope="module")
def rossi():
    return load_rossi()


@pytest.mark.parametrize(
    ("change", "event", "covariates", "ties", "error", "mentions"),
    [
        (None, "week", ["fin"], "efron", InputError, ("event 'week'", "the duration column")),
        (None, "arrest", ["week", "fin"], "efron", InputError, ("'week'", "the duration column")),
        (None, "arrest", ["arrest", "fin"], "efron", InputError, ("'arrest'", "the event column")),
        ({"c": 1}, "arrest", ["fin", "c"], "efron", InputError, ("'c'", "single value (1)")),
        ({"prio": "huge"}, "arrest", ["fin", "prio"], "efron", InputError, ("'prio'", "too large")),
        ({"week": "inf"}, "arrest", ["fin"], "efron", InputError, ("'week'", "infinite")),
        ({"week": 0}, "arrest", ["fin"], "efron", InputError, ("durations in 'week' are 0",)),
        ({"week": 0}, "arrest", ["fin"], "breslow", InputError, ("durations in 'week' are 0",)),
        ({"fin2": "fin"}, "arrest", ["fin", "fin2"], "efron", AnalysisError,
         ("did not converge", "fin, fin2")),
        ({"fin2": "fin"}, "arrest", ["fin", "fin2"], "breslow", AnalysisError,
         ("did not converge", "fin, fin2")),
    ],
    ids=["event-is-duration", "covariate-is-duration", "covariate-is-event", "constant", "huge-covariate",
         "infinite-duration", "all-zero-efron", "all-zero-breslow", "collinear-efron", "collinear-breslow"],
)
def test_fit_cox_refuses_with_one_line(rossi, change, event, covariates, ties, error, mentions):
    data = rossi.copy()
    for column, how in (change or {}).items():
        if how == "huge":
            data[column] = data[column] * 1e300
        elif how == "inf":
            data[column] = data[column].astype(float)
            data.loc[0, column] = np.inf
        elif isinstance(how, str):
            data[column] = data[how]
        else:
            data[column] = how
    with pytest.raises(error) as info:
        fit_cox(data, "week", event, covariates, ties=ties)
    text = _one_line(info.value)
    for word in mentions:
        assert word in text


def test_a_subgroup_column_with_many_values_is_refused_before_fitting(cohort):
    ev = Evaluation("treated", "reoffended_2y", COVS, subgroup="age")
    assert cohort["age"].nunique() > 20
    with pytest.raises(InputError) as info:
        ev.fit(cohort)
    text = _one_line(info.value)
    levels = cohort["age"].nunique()
    assert text.startswith(f"subgroup 'age': {levels} distinct values; expected at most 20")
    assert "band" in text
    assert not hasattr(ev, "outcome_")  # refused before the design was fitted


def test_subgroup_effects_itself_refuses_many_levels(cohort):
    from desist.evaluation.subgroups import subgroup_effects

    with pytest.raises(InputError, match="^subgroup 'age'"):
        subgroup_effects(cohort, "age", "treated", lambda part: None)
    banded = cohort.assign(band=pd.cut(cohort["age"], [0, 29, 49, 200], labels=["18-29", "30-49", "50+"]))
    assert banded["band"].nunique() == 3
    Evaluation("treated", "reoffended_2y", COVS, subgroup="band").fit(banded)  # a banded column is fine
