"""The Evaluation orchestrator: settings, attributes, summary, plots, JSON, and its checks on input."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import AnalysisError, InputError
from desist.entrypoints.cli.evaluate import jsonable
from desist.evaluation.evaluate import Evaluation
from desist.evaluation.simulate import simulate_cohort

COVS = ["age", "risk_band", "prior_sexual", "setting", "maintains_innocence"]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(2500, effect=-0.04, seed=21, intercept=-2.2)


@pytest.fixture(scope="module")
def fitted(cohort):
    return Evaluation(
        "treated",
        "reoffended_2y",
        COVS,
        caliper=0.2,
        time="time_days",
        event="event",
        subgroup="risk_band",
        deniers="maintains_innocence",
        denier_base_rate=0.02,
        window="within two years",
        random_state=3,
    ).fit(cohort)


def test_settings_are_stored_untouched_and_fit_returns_self(cohort):
    ev = Evaluation("treated", "reoffended_2y", COVS, ratio=2, replace=True)
    assert (ev.ratio, ev.replace, ev.caliper) == (2, True, None)
    assert not hasattr(ev, "outcome_")
    with pytest.raises(AnalysisError, match="not fitted"):
        ev.summary()
    assert ev.fit(cohort) is ev


def test_outcome_agrees_with_the_matched_data(fitted, cohort):
    w, t = fitted.weights_, fitted.treated_
    y = cohort.reoffended_2y.to_numpy()
    assert fitted.outcome_.treated_mean == pytest.approx(np.average(y[t], weights=w[t]))
    assert fitted.outcome_.control_mean == pytest.approx(np.average(y[~t], weights=w[~t]))
    assert fitted.n_["treated_matched"] == int(((w > 0) & t).sum())
    assert fitted.outcome_.ci_method == "cluster-robust (pairs)"
    # balance after matching with a caliper is good on every covariate
    assert (fitted.balance_["smd_after"].abs() < 0.1).all()


def test_summary_rows_and_plain_language(fitted):
    s = fitted.to_frame()
    assert s.measure.tolist() == ["difference", "risk_ratio", "odds_ratio", "hazard_ratio"]
    o = fitted.outcome_
    assert fitted.plain_language_.startswith(
        "For every 100 typical men like those treated, "
        f"{100 * o.treated_mean:.0f} were proven to reoffend within two years"
    )
    assert "hazard ratio" in fitted.plain_language_  # every outcome estimated, the time to reoffending too


def test_sensitivity_blocks(fitted):
    s = fitted.sensitivity_
    rr = fitted.outcome_.risk_ratio.estimate
    assert s["e_value"]["measure"] == "RR" and s["e_value"]["estimate"] == pytest.approx(rr)
    r = max(rr, 1 / rr)
    assert s["e_value"]["point"] == pytest.approx(r + math.sqrt(r * (r - 1)))
    ros = s["rosenbaum"]
    assert ros["available"] and ros["pairs"] == fitted.n_["treated_matched"]
    assert ros["direction"] == ("treated lower" if fitted.outcome_.estimate < 0 else "treated higher")
    deniers = fitted.deniers_
    assert deniers.fraction.tolist() == pytest.approx(np.linspace(0, 1, 11))
    assert deniers.estimate.iloc[0] == pytest.approx(fitted.outcome_.estimate)
    assert "hazard_ratio" in s["e_value"]


def test_subgroups_are_matched_within(fitted, cohort):
    tab = fitted.subgroups_.table.set_index("level")
    assert set(tab.index) == {"low", "medium", "high", "very high"}
    for level, row in tab.iterrows():
        if pd.isna(row["skipped"]):
            assert row["n_treated"] <= int(((cohort.risk_band == level) & (cohort.treated == 1)).sum())
    assert fitted.subgroups_.df >= 1


def test_to_dict_is_json_serialisable(fitted):
    d = jsonable(fitted.to_dict())
    text = json.dumps(d, allow_nan=False)
    assert (
        '"survival"' in text
        and d["sensitivity"]["deniers"]["scenario"] == "innocent deniers' outcome set to 0.02"
    )


def test_plots(fitted, tmp_path):
    for name in ("balance", "survival", "deniers", "subgroups"):
        fig = getattr(fitted, f"plot_{name}")(path=tmp_path / f"{name}.png")
        assert fig is not None and (tmp_path / f"{name}.png").stat().st_size > 1000


def test_polars_input_gives_the_same_answer(cohort):
    pl = pytest.importorskip("polars")
    frame = cohort.assign(risk_band=cohort.risk_band.astype(str))
    a = Evaluation("treated", "score", ["age", "risk_band"]).fit(frame).outcome_.estimate
    b = Evaluation("treated", "score", ["age", "risk_band"]).fit(pl.from_pandas(frame)).outcome_.estimate
    assert a == pytest.approx(b)


def test_fingerprint_beside_the_design_is_the_same(cohort, monkeypatch):
    """On national files the fingerprint is computed in a thread beside the design: same result."""
    import desist.evaluation._background as background

    spec = ("treated", "reoffended_2y", ["age", "risk_band"])
    inline = Evaluation(*spec, caliper=0.2).fit(cohort).to_dict()
    monkeypatch.setattr(background, "use_compiled", lambda n: True)
    beside = Evaluation(*spec, caliper=0.2).fit(cohort).to_dict()
    assert beside["data_fingerprint"] == inline["data_fingerprint"]
    assert {**beside, "fitted_at": None} == {**inline, "fitted_at": None}

    def broken(*args):
        raise InputError("fingerprint: broken on purpose")

    import desist.evaluation.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "fingerprint", broken)
    with pytest.raises(InputError, match="broken on purpose"):  # an error in the thread reaches the caller
        Evaluation(*spec).fit(cohort)


def test_rosenbaum_not_available_for_weighting(cohort):
    ev = Evaluation("treated", "reoffended_2y", COVS, method="ipw", estimand="ATE").fit(cohort)
    assert ev.sensitivity_["rosenbaum"]["available"] is False
    assert ev.outcome_.ci_method == "HC1 robust"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "nearest", "estimand": "ATE"}, InputError, "estimates the ATT"),
        ({"method": "lasso"}, InputError, "method 'lasso'"),
        ({"time": "time_days"}, InputError, "time and event: give both"),
        ({"missing": "impute"}, InputError, "missing 'impute'"),
        ({"method": "aipw", "bootstrap": 100}, InputError, "influence function"),
    ],
)
def test_bad_settings(cohort, kwargs, error, message):
    with pytest.raises(error, match=message):
        Evaluation("treated", "reoffended_2y", ["age"], **kwargs).fit(cohort)


def test_no_common_support():
    rng = np.random.default_rng(0)
    t = np.r_[np.ones(50), np.zeros(200)].astype(int)
    frame = pd.DataFrame(
        {
            "t": t,
            "age": np.where(t == 1, rng.uniform(60, 70, 250), rng.uniform(20, 30, 250)),
            "y": rng.integers(0, 2, 250),
        }
    )
    with pytest.raises(AnalysisError, match="no common support"):
        Evaluation("t", "y", ["age"], method="ipw", distance="gbm").fit(frame)


def test_fewer_than_60_treated_carries_the_justice_data_lab_warning(cohort):
    small = cohort[(cohort.treated == 0) | (cohort.groupby("treated").cumcount() < 40)]
    ev = Evaluation("treated", "reoffended_2y", ["age", "risk_band"]).fit(small)
    assert ev.n_["treated"] == 40
    assert any("Justice Data Lab requires at least 60" in w for w in ev.warnings_)
    assert "Caution: only 40 treated people" in ev.plain_language_
