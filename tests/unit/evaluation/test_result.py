"""EvaluationResult: frozen, JSON round trip, provenance, views; matched sets decided by ties."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import desist
from desist.evaluation.evaluate import Evaluation, evaluate
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
from desist.evaluation.result import EvaluationResult, fingerprint
from desist.evaluation.simulate import simulate_cohort
from desist.evaluation.spec import EvaluationSpec
from desist.evaluation.ties import matched_sets_with_ties
from desist.evaluation.weighting import IPWWeighter

COVS = ("age", "risk_band", "prior_sexual")


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(1500, seed=8, intercept=-2.0)


@pytest.fixture(scope="module")
def result(cohort):
    spec = EvaluationSpec(
        outcome="reoffended_2y",
        covariates=COVS,
        design=NearestNeighborMatcher(caliper=0.2),
        time="time_days",
        event="event",
        subgroup="setting",
    )
    return evaluate(cohort, spec, source={"kind": "test"}, data_cutoff="2020-06-30", treatment={"x": 1})


def test_round_trip_and_frozen(result):
    assert EvaluationResult.from_json(result.to_json()) == result
    assert EvaluationResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "ipw"  # type: ignore[misc]
    d = result.to_dict()
    d["n"]["treated"] = -1  # a copy: the result is not changed through it
    assert result.n["treated"] > 0


def test_provenance_is_recorded(result, cohort):
    assert result.spec == EvaluationSpec.from_dict(result.spec).to_dict()
    assert result.covariates == list(COVS) and result.treatment == {"column": "treated", "x": 1}
    assert result.data_cutoff == "2020-06-30" and result.source == {"kind": "test"}
    assert result.desist_version == desist.__version__ and result.fitted_at.startswith("20")
    cols = EvaluationSpec.from_dict(result.spec).columns()
    assert result.data_fingerprint == fingerprint(cohort, cols)
    assert result.settings_applied["order"] == "largest"
    assert result.settings_applied["params"]["caliper"] == 0.2


def test_fingerprint_sees_values_not_storage(cohort, tmp_path):
    cols = ["treated", "age", "risk_band"]
    path = tmp_path / "c.csv"
    cohort.to_csv(path, index=False)
    assert fingerprint(pd.read_csv(path), cols) == fingerprint(cohort, cols)
    changed = cohort.copy()
    changed.loc[5, "age"] += 1
    assert fingerprint(changed, cols) != fingerprint(cohort, cols)
    assert fingerprint(cohort.iloc[::-1], cols) != fingerprint(cohort, cols)


def test_views_read_from_the_result(result, cohort):
    frame = result.to_frame()
    assert frame.measure.tolist() == ["difference", "risk_ratio", "odds_ratio", "hazard_ratio"]
    ev = Evaluation.from_spec(EvaluationSpec.from_dict(result.spec)).fit(cohort)
    pd.testing.assert_frame_equal(ev.to_frame().astype(frame.dtypes.to_dict()), frame)
    assert result.summary().effects.equals(frame)
    assert result.estimate("hazard_ratio")["estimate"] == pytest.approx(ev.survival_.hazard_ratio)
    text = str(result)
    assert text.startswith("EvaluationResult: nearest (ATT) of 'treated' on 'reoffended_2y'")
    assert "hazard_ratio" in text and "cut-off 2020-06-30" in text and repr(result) == text
    assert result.report().startswith("desist evaluation: nearest-neighbour matching (ATT)")
    assert "For every 100 typical men like those treated" in " ".join(result.report().split())
    assert result.same_answer(
        ev.result(source={"kind": "test"}, data_cutoff="2020-06-30", treatment={"x": 1})
    )


def test_subclass_records_its_subclasses_and_ipw_has_no_matching_settings(cohort):
    sub = evaluate(cohort, EvaluationSpec("reoffended_2y", COVS, design=SubclassMatcher(n_subclasses=5)))
    assert sub.settings_applied["n_subclasses"] == 5 and len(sub.settings_applied["cuts"]) >= 4
    ipw = evaluate(cohort, EvaluationSpec("reoffended_2y", COVS, design=IPWWeighter(estimand="ATE")))
    assert list(ipw.settings_applied["params"]) == IPWWeighter._param_names()
    assert "ratio" not in ipw.settings_applied["params"]
    assert ipw.n["matched_sets_with_ties"] == 0


# ---------------------------------------------------------------- ties, against cases with a known answer


def _fit(dist, treated, **kw):
    df = pd.DataFrame({"t": treated, "x": 0.0})
    m = NearestNeighborMatcher(distance=np.asarray(dist, dtype=float), **kw).fit(df, "t", ["x"])
    return matched_sets_with_ties(m, df)


@pytest.mark.parametrize(
    ("dist", "treated", "kw", "expected"),
    [
        ([0.5, 0.25, 0.75], [1, 0, 0], {}, 1),  # one control each side at the same distance
        ([0.5, 0.25, 0.25], [1, 0, 0], {}, 1),  # two controls with the same score
        ([0.5, 0.25, 0.625], [1, 0, 0], {}, 0),  # no tie
        # the second treated unit takes the only control left: no choice for it
        ([0.5, 0.5, 0.25, 0.75], [1, 1, 0, 0], {}, 1),
        ([0.5, 0.5, 0.25, 0.75], [1, 1, 0, 0], {"replace": True}, 2),  # with replacement both chose
        ([0.5, 0.25, 0.75], [1, 0, 0], {"ratio": 2}, 0),  # both taken: nothing was passed over
        ([0.5, 0.25, 0.75, 0.25], [1, 0, 0, 0], {"ratio": 2}, 1),
    ],
)
def test_ties_in_hand_made_cases(dist, treated, kw, expected):
    assert _fit(dist, treated, **kw) == expected


def _brute_force(m, df):
    """Replay greedy matching pick by pick, asking at each pick whether another free control was as near."""
    d, t = m.distance_, m.treated_.astype(bool)
    pos = {int(i): p for p, i in enumerate(m.match_treated_[np.argsort(-d[m.match_treated_], kind="stable")])}
    taken_at = {}
    for r, i in enumerate(m.match_treated_):
        for k, c in enumerate(m.match_matrix_[r]):
            if c >= 0:
                taken_at[int(c)] = (k, pos[int(i)])
    sets = 0
    for r, i in enumerate(m.match_treated_):
        own = {int(c) for c in m.match_matrix_[r] if c >= 0}
        found = False
        for k, c in enumerate(m.match_matrix_[r]):
            if c < 0:
                continue
            for u in np.flatnonzero(~t):
                if int(u) in own or abs(abs(d[u] - d[i]) - abs(d[c] - d[i])) > 1e-12:
                    continue
                if m.replace or taken_at.get(int(u), (99, 0)) > (k, pos[int(i)]):
                    found = True
        sets += found
    return sets


@pytest.mark.parametrize("kw", [{}, {"ratio": 2}, {"ratio": 3, "replace": True}, {"caliper": 0.5}])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ties_agree_with_a_brute_force_replay(kw, seed):
    rng = np.random.default_rng(seed)
    n = 300
    t = (rng.random(n) < 0.2).astype(int)
    dist = rng.integers(0, 40, n) / 64  # few distinct, exactly representable values: many ties
    df = pd.DataFrame({"t": t, "x": 0.0})
    m = NearestNeighborMatcher(distance=dist, order="largest", **kw).fit(df, "t", ["x"])
    assert matched_sets_with_ties(m, df) == _brute_force(m, df) > 0


def test_ties_warn_in_the_result():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"t": (rng.random(400) < 0.25).astype(int), "band": rng.integers(0, 3, 400)})
    df["y"] = rng.integers(0, 2, 400)
    res = evaluate(df, EvaluationSpec("y", ("band",), treatment="t"))
    assert res.n["matched_sets_with_ties"] > 0
    assert any("at exactly equal distance" in w for w in res.warnings)


def test_docs_python_example_prints_what_the_docs_show(capsys, monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    text = (root / "docs" / "evaluation.md").read_text()
    section = text.split("### The same in Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(root)
    exec(compile(code, "docs/evaluation.md", "exec"), {})
    assert capsys.readouterr().out == shown
