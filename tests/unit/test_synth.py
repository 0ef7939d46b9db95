"""The synthetic population: calibrated shares, consistent risk-tool inputs, programmes by era, reoffending
of the right order, and a TRUE effect that desist's own Evaluation recovers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.domain.risk import osp
from desist.domain.risk.osp import OspInput
from desist.evaluation.evaluate import Evaluation
from desist.synth import generate_population, load_calibration
from desist.synth.cohort import COVARIATES, evaluation_cohort, tables_from_population
from desist.synth.export import OSP_FIELDS, import_tables
from desist.synth.population import generate_men

N = 40_000
CAL = load_calibration()


@pytest.fixture(scope="module")
def pop():
    return generate_population(N, seed=2024)


@pytest.fixture(scope="module")
def men(pop):
    return pop.men


# ---------------------------------------------------------------- calibration file
def test_every_figure_names_a_known_source_and_a_verified_flag():
    sources = CAL.data["sources"]
    facts = CAL.facts()
    assert len(facts) > 30
    for path, _value, source, verified in facts:
        assert source in sources, path
        assert isinstance(verified, bool), path
    # [U] figures of calibration.md are flagged unverified, [V] ones verified
    flags = {path: verified for path, _v, _s, verified in facts}
    assert flags["maintains_innocence"] is False and flags["offence_mix.images_only"] is False
    assert flags["age_at_custody.bands"] is True and flags["reoffending.weibull_shape"] is True


def test_overrides_change_a_value_and_mark_it_unverified():
    cal = load_calibration({"maintains_innocence": 0.5})
    assert cal.value("maintains_innocence") == 0.5
    assert cal.node("maintains_innocence")["verified"] is False
    assert CAL.value("maintains_innocence") == pytest.approx(0.333)  # the packaged figures are untouched
    with pytest.raises(InputError, match="no such figure"):
        load_calibration({"maintains_inocence": 0.5})


# ---- shares (tolerance: 3 binomial SEs or 1 point)
def _tol(p: float, n: int = N) -> float:
    return max(3 * np.sqrt(p * (1 - p) / n), 0.01)


def test_offence_mix_matches_the_calibration(men):
    mix = men["offence_type"].value_counts(normalize=True)
    for kind in ("contact_adult", "contact_child", "images_only", "non_contact"):
        target = CAL.value(f"offence_mix.{kind}")
        assert abs(mix[kind] - target) < _tol(target), kind


def test_age_at_custody_matches_the_2013_shares(men):
    bands = CAL.value("age_at_custody")["bands"]
    total = sum(b["share"] for b in bands)
    age = men["age_at_custody"]
    for b in bands:
        share = ((age >= b["low"]) & (age < b["high"] + 1)).mean()
        assert abs(share - b["share"] / total) < _tol(b["share"]), b


def test_innocence_and_ldc_shares(men):
    assert abs(men["maintains_innocence"].mean() - 0.333) < _tol(0.333)
    assert abs(men["ldc"].mean() - 0.32) < _tol(0.32)
    assert abs(men["iq_under_70"].mean() - 0.07) < _tol(0.07)


def test_mean_sentence_follows_the_published_means(men):
    by_year = men.groupby(men["custody_start"].dt.year)["sentence_months"].mean()
    for year, target in CAL.value("sentence_months")["mean_by_year"].items():
        assert by_year[int(year)] == pytest.approx(target, rel=0.08), year
    # image-only men serve much shorter sentences than contact-adult offenders
    by_kind = men.groupby("offence_type", observed=True)["sentence_months"].mean()
    assert by_kind["images_only"] < 0.4 * by_kind["contact_adult"]


def test_dates_are_in_the_era_and_ordered(men):
    assert men["custody_start"].min() >= pd.Timestamp("2000-01-01")
    assert men["custody_start"].max() <= pd.Timestamp("2020-12-31")
    assert (men["release_date"] > men["custody_start"]).all()
    assert (men["licence_end_date"] >= men["release_date"]).all()
    assert (men["assessed_on"] > men["custody_start"]).all()
    # receptions grow over the era (~2,700 in 2005 to ~3,400 in 2012)
    per_year = men["custody_start"].dt.year.value_counts()
    assert per_year[2012] / per_year[2005] == pytest.approx(3400 / 2700, rel=0.1)


# ---- risk-tool inputs consistent with the offence
def test_sanctions_are_consistent_with_the_offence_type(men):
    images = men[men["offence_type"] == "images_only"]
    assert (images["indecent_image_sanctions"] >= 1).all()
    assert (
        (images[["contact_adult_sanctions", "contact_child_sanctions", "paraphilia_sanctions"]] == 0)
        .all()
        .all()
    )
    assert (men.loc[men["offence_type"] == "contact_adult", "contact_adult_sanctions"] >= 1).all()
    assert (men.loc[men["offence_type"] == "contact_child", "contact_child_sanctions"] >= 1).all()
    assert (men.loc[men["offence_type"] == "non_contact", "paraphilia_sanctions"] >= 1).all()
    assert not images["stranger_victim"].any()


def test_osp_inputs_validate_and_scores_agree_with_the_scalar_tool(men):
    sample = men.sample(300, random_state=1)
    for _, row in sample.iterrows():
        inp = OspInput.model_validate({"sex": "M", **{f: row[f] for f in OSP_FIELDS}})
        result = osp.score(inp)
        assert result.dc.points == row["osp_dc_points"]
        assert str(result.dc.band).lower() == row["osp_dc_band"]
        assert result.dc.probability == pytest.approx(row["osp_dc_p"])


def test_pni_items_rise_with_risk(men):
    items = men[[c for c in men.columns if c.startswith("oasys_")]].sum(axis=1)
    assert np.corrcoef(items, men["osp_dc_points"])[0, 1] > 0.2
    assert set(np.unique(men["oasys_12_1"])) == {0, 1, 2}


def test_the_same_seed_gives_the_same_men_and_another_seed_does_not():
    a, b, c = generate_men(500, seed=5), generate_men(500, seed=5), generate_men(500, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["osp_dc_points"].equals(c["osp_dc_points"])
    with pytest.raises(ValueError, match="expected 1 or more"):
        generate_men(0)


# ---------------------------------------------------------------- programmes as they happened
def test_core_sotp_follows_the_legacy_rules(pop, men):
    h = pop.history.merge(men, on="prison_number")
    core = h[h["programme_code"] == "SOTP-CORE"]
    assert len(core) > 0.05 * N
    assert (core["started_on"] <= pd.Timestamp("2016-10-31")).all()
    assert (core["ended_on"] <= pd.Timestamp("2017-04-30")).all()
    assert not core["maintains_innocence"].any() and not core["ldc"].any()
    assert (core["sentence_months"] >= 12).all()
    assert core["osp_dc_band"].isin(["medium", "high", "very_high"]).all()
    assert (core["offence_type"] != "images_only").all()
    assert (core["ended_on"] <= core["release_date"]).all() and (
        core["started_on"] > core["custody_start"]
    ).all()
    ext = h[h["programme_code"] == "SOTP-EXT"]
    assert ext["osp_dc_band"].isin(["high", "very_high"]).all() and ext["core_completed"].all()


def test_current_programmes_follow_the_new_menu_and_admit_deniers(pop, men):
    h = pop.history.merge(men, on="prison_number")
    kaizen = h[h["programme_code"] == "KAIZEN"]
    horizon = h[h["programme_code"] == "HORIZON"]
    assert (kaizen["started_on"] >= pd.Timestamp("2017-06-01")).all()
    assert (horizon["started_on"] >= pd.Timestamp("2016-04-01")).all()
    assert kaizen["osp_dc_band"].isin(["high", "very_high"]).all()
    # no programme starts before the catalogue says it existed (what recommend would offer on that date)
    from desist.domain.catalogue import default_catalogue

    cat = default_catalogue()
    for code, first in h.groupby("programme_code")["started_on"].min().items():
        assert first.date() >= cat[code].available_from.value, code
    assert (horizon["osp_dc_band"] == "medium").all()
    assert kaizen["maintains_innocence"].any()  # Kaizen does not require discussing the offence
    assert not h.loc[h["programme_code"].isin(["SOTP-BNM", "BNM-PLUS", "NMS"]), "ldc"].eq(False).any()


def test_the_comparison_pool_is_about_five_times_the_treated_group_as_in_mews_2017(pop):
    # The place intercept was calibrated to Mews' ratio with LDC men counted in the pool (as before the
    # database stored LDC): check the calibration on that pool, i.e. with no LDC recorded.
    tables = tables_from_population(pop)
    unrecorded = {**tables, "people": tables["people"].drop(columns="ldc")}
    cohort = evaluation_cohort(unrecorded, "2024-12-31")
    treated = int(cohort["treated"].sum())
    assert 4.0 < (len(cohort) - treated) / treated < 6.5  # Mews et al.: 13,219 / 2,562 = 5.2


def test_ldc_men_are_left_out_of_the_core_comparison_and_nobody_else(pop):
    tables = tables_from_population(pop)
    with_ldc = evaluation_cohort(tables, "2024-12-31")
    without = evaluation_cohort({**tables, "people": tables["people"].drop(columns="ldc")}, "2024-12-31")
    ldc = set(pop.men.loc[pop.men["ldc"], "prison_number"])
    assert not set(with_ldc["prison_number"]) & ldc
    assert set(without["prison_number"]) - ldc == set(with_ldc["prison_number"])
    dropped = set(without["prison_number"]) - set(with_ldc["prison_number"])
    assert len(dropped) > 0.2 * len(without)  # about a third of the men are LDC (calibration 32%)
    # no LDC man completed Core, so the treated group is unchanged; the pool shrinks to ~3.3 per treated man
    assert with_ldc["treated"].sum() == without["treated"].sum()
    treated = int(with_ldc["treated"].sum())
    assert 2.5 < (len(with_ldc) - treated) / treated < 4.5


def test_places_are_selected_on_observables_so_a_naive_comparison_is_confounded(men):
    eligible = men[men["core_eligible"] & ~men["maintains_innocence"]]
    treated, untreated = eligible[eligible["core_completed"]], eligible[~eligible["core_completed"]]
    assert treated["osp_dc_points"].mean() > untreated["osp_dc_points"].mean() + 2
    assert treated["sentence_months"].mean() > untreated["sentence_months"].mean()
    assert treated["age_at_custody"].mean() < untreated["age_at_custody"].mean()


# ---------------------------------------------------------------- reoffending
def test_untreated_sexual_reoffending_is_of_the_order_of_the_published_rates(men):
    # Mews et al. 2017: 8.0% of the matched untreated men reoffended sexually in a mean 8.2 years.
    # Tolerance: 5% to 13% (the simulated pool differs from theirs; the order of magnitude must hold).
    pool = men[men["core_eligible"] & ~men["core_completed"]]
    rate = (pool["sexual_years"] <= 8.2).mean()
    assert 0.05 <= rate <= 0.13, rate
    # Static-99R shape: the 10-year rate is about 1.6 times the 5-year rate (declining hazard)
    five, ten = (men["sexual_years"] <= 5).mean(), (men["sexual_years"] <= 10).mean()
    assert 1.4 < ten / five < 1.8
    # internet-only offenders rarely reoffend sexually, and then mostly with images (Wakeling et al. 2011)
    images = men[men["offence_type"] == "images_only"]
    assert (images["sexual_years"] <= 8.2).mean() < rate
    assert (images["contact_years"] <= 8.2).mean() < 0.02
    assert (images["contact_years"] <= 8.2).mean() < 0.5 * (images["image_years"] <= 8.2).mean()


def test_reconviction_after_long_sentences_follows_hood_et_al(pop, men):
    # men released from sentences of 4 years or more, untreated, with 6 years of data (as Hood et al. 2002)
    cohort = men[
        (men["release_date"] <= "2012-12-31") & ~men["core_completed"] & (men["sentence_months"] >= 48)
    ]
    out = pop.outcomes.merge(cohort[["prison_number", "release_date"]], on="prison_number")
    out["years"] = (out["proven_date"] - out["release_date"]).dt.days / 365.25
    sexual = out["kind"].isin(["sexual_contact", "sexual_images"])
    first_any = out.groupby("prison_number")["years"].min().reindex(cohort["prison_number"])
    first_sexual = out[sexual].groupby("prison_number")["years"].min().reindex(cohort["prison_number"])
    for years, target in CAL.value("reoffending.hood_any_reconviction").items():
        assert abs((first_any <= years).mean() - target) < 0.03, (
            years
        )  # any: within 3 points at 2, 4, 6 years
    hood = CAL.value("reoffending.hood_sexual_reconviction_imprisoned")
    # sexual: Hood counts only reconvictions with imprisonment, so of the same order, not equal (x0.5 to x2)
    rate6 = (first_sexual <= 6).mean()
    assert hood[6] / 2 < rate6 < hood[6] * 2, rate6
    assert (first_sexual <= 2).mean() < (first_sexual <= 4).mean() < rate6


def test_proven_outcomes_are_after_release_and_before_the_end_of_data(pop, men):
    out = pop.outcomes.merge(men[["prison_number", "release_date"]], on="prison_number")
    assert (out["offence_date"] >= out["release_date"]).all()
    assert (out["proven_date"] >= out["offence_date"]).all()
    assert (out["proven_date"] <= pd.Timestamp("2024-12-31")).all()
    assert set(out["kind"]) == {"sexual_contact", "sexual_images", "violent", "other"}


def test_the_true_effect_is_applied_to_core_completers_only(men):
    assert (men.loc[~men["core_completed"] & ~men["current_completed"], "true_hr"] == 1.0).all()
    done = men[men["core_completed"] & ~men["extended_completed"]]
    assert done.loc[done["osp_dc_band"] == "high", "true_hr"].eq(1.35).all()
    assert done.loc[done["osp_dc_band"] == "medium", "true_hr"].eq(1.15).all()


def test_import_tables_have_the_import_layout(pop):
    tables = import_tables(pop, "2024-12-31")
    people = tables["people"]
    assert list(people.columns[:5]) == ["prison_number", "given_name", "family_name", "date_of_birth", "sex"]
    assert people["given_name"].str.len().gt(1).all() and people["family_name"].str.len().gt(1).all()
    assert people["family_name"].nunique() > 50  # made-up names, not one name for everybody
    assert len(tables["assessments"]) == 2 * N
    assert set(tables["assessments"]["tool"]) == {"osp", "pni"}
    assert tables["programme-history"]["result"].isin(["completed", "incomplete"]).all()


# ---------------------------------------------------------------- the effect is recoverable
@pytest.mark.parametrize("true_hr", [1.0, 1.6])
def test_evaluation_recovers_the_true_hazard_ratio(true_hr):
    p = generate_population(80_000, seed=12, true_hr=true_hr)  # the whole effect, Extended adding nothing
    assert p.calibration.value("true_effect.extended_extra_hr") == 1.0
    cohort = evaluation_cohort(tables_from_population(p), "2024-12-31")
    ev = Evaluation(
        "treated",
        "sexual_reoffence",
        COVARIATES,
        caliper=0.2,
        exact=["risk_band"],
        time="time_days",
        event="event",
    ).fit(cohort)
    assert ev.n_["treated_matched"] > 2500
    hr = ev.to_frame().set_index("measure").loc["hazard_ratio"]
    # the estimand: the marginal hazard ratio over the treated men, from their own simulated outcomes with
    # and without the programme; nearer 1 than the per-man ratio when risk varies (non-collapsibility)
    truth = p.true_marginal_hr(cohort.loc[cohort["treated"] == 1, "prison_number"])
    assert truth == pytest.approx(1.0) if true_hr == 1.0 else 1.35 < truth < true_hr
    assert hr["ci_low"] <= truth <= hr["ci_high"], (truth, hr.to_dict())
    assert abs(np.log(hr["estimate"]) - np.log(truth)) < 0.1
    # the naive comparison is biased upwards (treated men are higher risk)
    naive = cohort.groupby("treated")["sexual_reoffence"].mean()
    assert naive[1] / naive[0] > true_hr * 1.1
