"""One test per wording rule: every sentence agrees with the numbers it describes."""

from __future__ import annotations

import pytest

from desist.evaluation import wording as wd
from tests.unit.evaluation.report_fixtures import result

W = wd.Wording(programme="Core SOTP", outcome="proven sexual reoffending", window="within 5 years",
               labels={"osp_dc_points": "OSP/DC points", "age_at_release": "age at release",
                       "risk_band": "OSP/DC band"})


@pytest.mark.parametrize(("interval", "null", "expected"), [
    ((0.01, 0.05), 0.0, wd.HARM), ((-0.05, -0.01), 0.0, wd.BENEFIT), ((-0.01, 0.05), 0.0, wd.UNCLEAR),
    ((1.06, 1.52), 1.0, wd.HARM), ((0.8, 1.2), 1.0, wd.UNCLEAR), ((0.0, 0.05), 0.0, wd.UNCLEAR),
])
def test_verdict_needs_the_whole_interval_on_one_side(interval, null, expected) -> None:
    assert wd.verdict(interval, null) == expected


def test_headline_harm_says_raised() -> None:
    text = wd.headline(result("harm"), W)
    assert "more likely" in text and "raised" in text and "not statistically clear" not in text


def test_headline_benefit_says_lowered() -> None:
    text = wd.headline(result("benefit"), W)
    assert "less likely" in text and "lowered" in text


def test_headline_null_makes_no_claim() -> None:
    text = wd.headline(result("null"), W)
    assert "cannot tell" in text
    assert "raised" not in text.replace("raising", "") and "more likely" not in text


def test_headline_names_the_measure_that_was_not_clear() -> None:
    text = wd.headline(result("mixed"), W)
    assert "raised" in text
    assert "rests on the time to reoffending" in text
    assert "reoffending rate within 5 years was not statistically clear" in text


def test_headline_too_few_gives_no_estimate() -> None:
    assert "too few" in wd.headline(result("too_few"), W)


def test_outcome_paragraph_numbers_are_the_results() -> None:
    text = wd.outcome_paragraph(result("harm"), W)
    assert "For every 100 typical men like those treated, 10 were proven to reoffend within 5 years" in text
    assert "against 8.0 in the matched comparison group" in text
    assert "+2.0 per 100 (95% CI +0.4 to +3.6 per 100)" in text
    assert "did worse" in text and "(p = 0.01)" in text


def test_outcome_paragraph_null_says_not_significant() -> None:
    text = wd.outcome_paragraph(result("null"), W)
    assert "not statistically significant (p = 0.52)" in text and "did worse" not in text


def test_survival_paragraph_gives_the_hazard_ratio_range_in_words() -> None:
    text = wd.survival_paragraph(result("harm"), W)
    assert "1.27 times" in text and "95% CI 1.06 to 1.52" in text and "6% higher to 52% higher" in text
    assert wd.survival_paragraph({**result("harm"), "survival": None}, W) is None


def test_naive_sentence_reads_the_direction_from_the_balance_table() -> None:
    r = result("harm")
    text = wd.naive_sentence(r["naive"], r["balance"], W)
    assert "10% of treated and 5.5% of untreated" in text
    assert "higher OSP/DC points (SMD +0.53)" in text and "lower age at release (SMD −0.34)" in text
    assert "more men with OSP/DC band: very high" in text
    flipped = [{**b, "smd_before": -b["smd_before"]} for b in r["balance"]]
    text = wd.naive_sentence(r["naive"], flipped, W)
    assert "lower OSP/DC points" in text and "higher age at release" in text


def test_naive_sentence_when_already_similar() -> None:
    balance = [{"covariate": "age_at_release", "smd_before": 0.03, "smd_after": 0.01}]
    assert "already similar" in wd.naive_sentence({"treated": 0.1, "untreated": 0.1}, balance, W)


def test_balance_sentence_names_imbalanced_covariates() -> None:
    assert "every covariate was balanced" in wd.balance_sentence(result("harm")["balance"], W)
    text = wd.balance_sentence(result("imbalanced")["balance"], W)
    assert "1 covariate was still imbalanced" in text and "OSP/DC points (SMD +0.23)" in text


def test_rosenbaum_never_says_significance_lost_when_there_was_none() -> None:
    text = wd.rosenbaum_sentence(result("null")["sensitivity"])
    assert "not significant even with no hidden bias" in text and "p = 0.71" in text
    text = wd.rosenbaum_sentence(result("harm")["sensitivity"])
    assert "Γ = 1.15" in text and "no longer significant" in text


def test_rosenbaum_unavailable_says_why() -> None:
    text = wd.rosenbaum_sentence({"rosenbaum": {"available": False, "reason": "needs 1:1 pairs"}})
    assert "not run: needs 1:1 pairs" in text


def test_e_value_sentence_covers_the_interval() -> None:
    harm = wd.e_value_sentence(result("harm")["sensitivity"])
    assert "1.28 each would move the confidence interval" in harm
    assert "already includes no effect" in wd.e_value_sentence(result("null")["sensitivity"])


def test_subgroup_sentence_follows_the_interaction_p_value() -> None:
    assert "differed between groups of OSP/DC band (interaction test p = 0.04)" in wd.subgroup_sentence(
        result("harm")["subgroups"], W)
    assert "no clear evidence" in wd.subgroup_sentence(result("null")["subgroups"], W)


def test_deniers_sentence_finds_where_the_conclusion_changes() -> None:
    table = [
        {"fraction": 0.0, "estimate": 0.01, "ci_low": -0.02, "ci_high": 0.04},
        {"fraction": 0.3, "estimate": 0.03, "ci_low": -0.001, "ci_high": 0.06},
        {"fraction": 0.5, "estimate": 0.04, "ci_low": 0.002, "ci_high": 0.08},
    ]
    text = wd.deniers_sentence({"deniers": {"table": table, "n_deniers": {"treated": 0, "control": 163}}})
    assert "163 men in the comparison group" in text and "If 50% or more" in text
    assert "significantly worse" in text
    steady = [{**r, "ci_low": -0.05} for r in table]
    assert "does not change the conclusion" in wd.deniers_sentence({"deniers": {"table": steady}})


def test_labels_read_dummy_columns() -> None:
    assert W.label("risk_band_very high") == "OSP/DC band: very high"
    assert W.label("prior_sexual") == "prior sexual"
