"""result.summary(): effects, counts and design diagnostics, each judged by its stated rule."""

import dataclasses

import pytest

from desist.evaluation.evaluate import evaluate
from desist.evaluation.simulate import simulate_cohort
from desist.evaluation.spec import EvaluationSpec
from desist.evaluation.weighting import IPWWeighter

COVS = ("age", "risk_band")


@pytest.fixture(scope="module")
def harmful():
    spec = EvaluationSpec(outcome="reoffended_2y", covariates=COVS)
    return evaluate(simulate_cohort(3000, seed=5, intercept=-2.0, effect=0.12), spec)


def checks(summary):
    return summary.diagnostics.set_index("check")


def test_counts_and_effects_are_the_result_s(harmful):
    s = harmful.summary()
    n = harmful.n
    assert s.counts == {
        "treated": n["treated"],
        "comparison": n["control"],
        "treated_kept": n["treated_matched"],
        "comparison_kept": n["control_matched"],
        "rows_dropped": 0,
        "sets_decided_by_ties": n["matched_sets_with_ties"],
    }
    assert s.effects.equals(harmful.to_frame())
    assert s.warnings == tuple(harmful.warnings)


def test_diagnostics_are_computed_from_the_balance_and_sensitivity(harmful):
    c = checks(harmful.summary())
    worst = max(abs(b["smd_after"]) for b in harmful.balance)
    assert c.loc["largest |SMD| after", "value"] == pytest.approx(worst)
    assert c.loc["largest |SMD| after", "ok"]
    assert c.loc["covariates with |SMD| > 0.1", "value"] == 0
    assert c.loc["share of treated men kept", "value"] == 1.0
    e_value = harmful.sensitivity["e_value"]["point"]
    assert c.loc["E-value (point estimate)", "value"] == pytest.approx(e_value)
    gamma = harmful.sensitivity["rosenbaum"]["gamma_critical"]
    assert gamma > 1 and c.loc["Rosenbaum gamma losing p < 0.05", "value"] == gamma


def test_a_poor_design_is_flagged(harmful):
    balance = [dict(b) for b in harmful.balance]
    balance[0]["smd_after"] = -0.31
    n = {**harmful.n, "treated_matched": int(harmful.n["treated"] * 0.8)}
    c = checks(dataclasses.replace(harmful, balance=balance, n=n).summary())
    assert c.loc["largest |SMD| after", "value"] == pytest.approx(0.31)
    assert not c.loc["largest |SMD| after", "ok"] and c.loc["covariates with |SMD| > 0.1", "value"] == 1
    assert c.loc["share of treated men kept", "value"] == pytest.approx(0.8, abs=0.01)
    assert not c.loc["share of treated men kept", "ok"]
    assert "check" in str(dataclasses.replace(harmful, balance=balance, n=n).summary())


def test_weighting_reports_the_effective_comparison_size():
    spec = EvaluationSpec(outcome="reoffended_2y", covariates=("age",), design=IPWWeighter())
    r = evaluate(simulate_cohort(1500, seed=2, intercept=-2.0), spec)
    s = r.summary()
    assert s.counts["ess_comparison"] == pytest.approx(r.n["ess_control"])
    share = checks(s).loc["share of comparison kept (ESS)", "value"]
    assert share == pytest.approx(r.n["ess_control"] / r.n["control"])
    assert "Rosenbaum gamma losing p < 0.05" not in checks(s).index  # no pairs, no Rosenbaum bounds


def test_a_null_result_shows_no_rosenbaum_gamma():
    spec = EvaluationSpec(outcome="reoffended_2y", covariates=COVS)
    r = evaluate(simulate_cohort(1500, seed=2, intercept=-2.0), spec)
    assert r.sensitivity["rosenbaum"]["gamma_critical"] == 1.0
    assert "Rosenbaum gamma losing p < 0.05" not in checks(r.summary()).index


def test_the_printed_summary_fits_80_columns_and_names_the_rules(harmful):
    text = str(harmful.summary())
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text.startswith("nearest (ATT) of 'treated' on 'reoffended_2y'")
    assert "ok    largest |SMD| after" in text and "at most 0.1" in text and "100%" in text
    assert harmful.summary().to_dict()["counts"]["treated"] == harmful.n["treated"]


def test_the_docs_show_this_exact_summary(harmful):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "evaluation.md").read_text()
    assert str(harmful.summary()) in docs
