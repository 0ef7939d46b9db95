"""`desist evaluate` and `desist survival` end to end: JSON keys, values, and one-line errors with exit 2."""

import json

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi

from desist.evaluation.simulate import simulate_cohort
from tests.cli import run_cli as run
from tests.reference.rossi import R_EFRON, ROSSI_COVARIATES

COVS = "age,risk_band,prior_sexual,setting,maintains_innocence"


def evaluate_argv(
    data, *extra: str, outcome: str = "reoffended_2y", covariates: str | None = COVS, fmt: str = "json"
) -> list[str]:
    """``desist evaluate`` on ``data`` with treatment ``treated``; ``extra`` options come before --format."""
    argv = ["evaluate", "--input", str(data), "--treatment", "treated", "--outcome", outcome]
    if covariates is not None:
        argv += ["--covariates", covariates]
    return [*argv, *extra, "--format", fmt]


def survival_argv(data, covariates: str, *extra: str) -> list[str]:
    """``desist survival`` on the Rossi data (time ``week``, event ``arrest``)."""
    fixed = ("--time", "week", "--event", "arrest")
    return ["survival", "--input", str(data), *fixed, "--covariates", covariates, *extra]


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "cohort.csv"
    simulate_cohort(1500, seed=11, intercept=-2.0).to_csv(path, index=False)
    return path


def test_evaluate_json_has_the_contract_keys(cohort_csv, capsys):
    argv = evaluate_argv(
        cohort_csv, "--time", "time_days", "--event", "event", "--subgroup", "setting", "--seed", "1"
    )
    code, out, err = run(argv, capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["estimand"] == "ATT" and d["method"] == "nearest"
    assert set(d["n"]) >= {"treated", "control", "treated_matched", "control_matched"}
    assert d["n"]["treated_matched"] == d["n"]["control_matched"]  # 1:1 without replacement
    o = d["outcome"]
    assert {
        "name",
        "type",
        "treated_mean",
        "control_mean",
        "estimate",
        "ci",
        "p_value",
        "risk_ratio",
        "odds_ratio",
    } <= set(o)
    assert o["type"] == "binary"
    assert o["estimate"] == pytest.approx(o["treated_mean"] - o["control_mean"])
    assert o["ci"][0] < o["estimate"] < o["ci"][1]
    assert o["risk_ratio"]["estimate"] == pytest.approx(o["treated_mean"] / o["control_mean"])
    assert all(
        {"covariate", "smd_before", "smd_after", "variance_ratio_after"} <= set(b) for b in d["balance"]
    )
    assert d["sensitivity"]["e_value"]["point"] >= 1
    assert d["sensitivity"]["rosenbaum"]["available"] is True
    assert [g["level"] for g in d["subgroups"]["groups"]] == ["community", "prison"]
    assert 0 <= d["subgroups"]["interaction"]["p_value"] <= 1
    assert d["survival"]["hazard_ratio"] > 0 and "logrank" in d["survival"]
    assert d["plain_language"].startswith("For every 100 typical men like those treated")


def test_continuous_outcome_estimate_is_treated_minus_weighted_control_mean(cohort_csv, capsys):
    code, out, err = run(evaluate_argv(cohort_csv, "--ratio", "2", "--replace", outcome="score"), capsys)
    assert code == 0, err
    o = json.loads(out)["outcome"]
    assert o["type"] == "continuous" and "risk_ratio" not in o
    assert o["estimate"] == pytest.approx(o["treated_mean"] - o["control_mean"])
    assert o["ci_method"] == "HC1 robust"


@pytest.mark.parametrize("method", ["ipw", "aipw", "subclass"])
def test_other_methods_and_table_format(cohort_csv, capsys, method):
    argv = evaluate_argv(cohort_csv, "--method", method, "--estimand", "ATE", fmt="table")
    code, out, err = run(argv, capsys)
    assert code == 0, err
    from desist.evaluation.report import METHOD_NAMES

    assert f"desist evaluation: {METHOD_NAMES[method]} (ATE)" in out
    assert "For every 100 men like those in the study, had all been treated" in out


def test_bootstrap_is_reproducible_with_seed(cohort_csv, capsys):
    argv = evaluate_argv(cohort_csv, "--bootstrap", "200", "--seed", "5")
    first = json.loads(run(argv, capsys)[1])["outcome"]
    second = json.loads(run(argv, capsys)[1])["outcome"]
    assert first["ci"] == second["ci"] and "bootstrap" in first["ci_method"]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    d = simulate_cohort(600, seed=2, intercept=-1.0)
    files = {}
    m = d.copy()
    m.loc[:4, "age"] = np.nan
    m.loc[:1, "setting"] = None
    files["missing"] = m
    nb = d.copy()
    nb.loc[0, "treated"] = 2
    files["nonbinary"] = nb
    sep = d.copy()
    sep["flag"] = sep["treated"]
    files["separation"] = sep
    few = d[(d.treated == 0) | (d.groupby("treated").cumcount() < 7)]
    files["few"] = few
    ns = d.copy()
    ns["unit"] = np.where(ns.treated == 1, "a", "b")
    files["nosupport"] = ns
    for name, frame in files.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.mark.parametrize(
    ("file", "extra", "message"),
    [
        ("missing", ["--covariates", "age,nope"], "unknown column 'nope'"),
        ("nonbinary", ["--covariates", "age"], "expected binary 0/1 values, found '0', '1', '2'"),
        ("missing", ["--covariates", "age,setting"], "missing values in age: 5, setting: 2"),
        ("separation", ["--covariates", "age,flag"], "perfect separation"),
        ("few", ["--covariates", "age"], "only 7 treated people"),
        ("nosupport", ["--covariates", "age", "--exact", "unit"], "no stratum has both groups"),
        ("missing", ["--covariates", "age", "--method", "magic"], "--method 'magic'"),
        ("absent", ["--covariates", "age"], "file not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(bad_files, capsys, file, extra, message):
    code, out, err = run(evaluate_argv(bad_files / f"{file}.csv", *extra, covariates=None), capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


def test_missing_drop_reports_rows_dropped(bad_files, capsys):
    argv = evaluate_argv(bad_files / "missing.csv", "--missing", "drop", covariates="age,setting")
    code, out, err = run(argv, capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["rows_dropped"] == 5  # rows 0-4 (setting is missing in rows 0-1 too)
    assert d["n"]["treated"] + d["n"]["control"] == 595


@pytest.fixture(scope="module")
def rossi_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("rossi") / "rossi.csv"
    load_rossi().to_csv(path, index=False)
    return path


def test_survival_efron_matches_r_coxph_on_rossi(rossi_csv, capsys):
    code, out, err = run(survival_argv(rossi_csv, ",".join(ROSSI_COVARIATES), "--format", "json"), capsys)
    assert code == 0, err
    d = json.loads(out)
    coef = {c["covariate"]: c for c in d["coefficients"]}
    for name, value in R_EFRON.items():
        assert coef[name]["coef"] == pytest.approx(value, abs=6e-4)
        assert coef[name]["hr"] == pytest.approx(np.exp(coef[name]["coef"]))
    assert coef["fin"]["se"] == pytest.approx(0.1914, abs=1e-3)
    assert 0.6 < d["concordance"] < 0.7


def test_survival_breslow_and_bad_ties(rossi_csv, capsys):
    code, out, err = run(
        survival_argv(rossi_csv, "fin,age,prio", "--ties", "breslow", "--format", "json"), capsys
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["ties"] == "breslow" and len(d["coefficients"]) == 3
    code, out, err = run(survival_argv(rossi_csv, "fin", "--ties", "exact"), capsys)
    assert code == 2 and "--ties 'exact'" in err


def test_parquet_input(tmp_path, capsys):
    path = tmp_path / "c.parquet"
    frame = simulate_cohort(800, seed=4, intercept=-1.5)
    frame["risk_band"] = frame["risk_band"].astype(str)
    frame.to_parquet(path)
    code, out, err = run(evaluate_argv(path, outcome="score", covariates="age,risk_band"), capsys)
    assert code == 0, err
    assert pd.notna(json.loads(out)["outcome"]["estimate"])


def test_plots_are_written(cohort_csv, capsys, tmp_path):
    survival = ("--time", "time_days", "--event", "event")
    argv = evaluate_argv(
        cohort_csv, *survival, "--plots", str(tmp_path / "plots"), covariates="age,risk_band"
    )
    code, out, err = run(argv, capsys)
    assert code == 0, err
    written = json.loads(out)["plots"]
    assert [p.rsplit("/", 1)[1] for p in written] == ["balance.png", "survival.png"]
    assert all((tmp_path / "plots" / name).stat().st_size > 1000 for name in ("balance.png", "survival.png"))


def test_docs_worked_example_matches_the_committed_data_and_output(capsys):
    """docs/evaluation.md shows real output: regenerate the example data and re-run its command."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    csv = root / "examples" / "evaluation" / "cohort.csv"
    committed = pd.read_csv(csv)
    fresh = simulate_cohort(2500, effect=-0.04, score_effect=-2.0, seed=2017, intercept=-2.2)
    pd.testing.assert_frame_equal(
        committed, fresh.assign(risk_band=fresh.risk_band.astype(str)), check_dtype=False
    )
    extra = (
        *("--caliper", "0.2", "--time", "time_days", "--event", "event", "--subgroup", "risk_band"),
        *("--deniers", "maintains_innocence", "--denier-base-rate", "0.02", "--window", "within two years"),
        *("--seed", "1"),
    )
    code, out, err = run(evaluate_argv(csv, *extra, fmt="table"), capsys)
    assert code == 0, err
    docs = (root / "docs" / "evaluation.md").read_text()
    assert out.strip() in docs  # the docs show this exact output
    words = " ".join(out.split())
    assert "like those treated, 15 were proven to reoffend within two years" in words
    assert "0.77 (0.61 to 0.96)" in words


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ("--method", "ipw", "--ratio", "3", "--caliper", "0.1", "--replace"),
            "--ratio 3: does not apply to",
        ),
        (("--method", "subclass", "--caliper", "0.1"), "--caliper 0.1: does not apply to --method subclass"),
        (("--method", "aipw", "--exact", "setting"), "--exact ['setting']: does not apply to --method aipw"),
        (
            ("--method", "ipw", "--distance", "mahalanobis"),
            "--distance 'mahalanobis': ipw needs a propensity",
        ),
    ],
)
def test_settings_that_do_not_apply_to_the_design_are_refused(cohort_csv, capsys, extra, message):
    code, out, err = run(evaluate_argv(cohort_csv, *extra), capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error: {err.strip()[7:]}"] and message in err


def test_json_records_the_design_as_applied(cohort_csv, capsys):
    code, out, err = run(evaluate_argv(cohort_csv, "--method", "ipw", "--estimand", "ATE"), capsys)
    assert code == 0, err
    settings = json.loads(out)["settings"]
    assert settings["method"] == "ipw" and "ratio" not in settings["params"]
    assert settings["params"]["estimand"] == "ATE" and settings["params"]["method"] == "glm"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--programme", "SOTP-CORE", "--treatment", "t"], "--treatment: not used with --programme"),
        (["--programme", "SOTP-CORE", "--input", "x.csv"], "--input: not with --programme"),
        (["--programme", "SOTP-CORE", "--as-of", "2020-13-01"], "--as-of: '2020-13-01' is not a date"),
        (
            ["--programme", "SOTP-CORE", "--db", "sqlite:///no-such.db"],
            "does not exist; run `desist db init`",
        ),
        (["--programme", "SOTP-CORE", "--spec", "no-such.json"], "--spec no-such.json: file not found"),
        (["--input", "x.csv", "--as-of", "2020-01-01"], "--as-of: only with --programme"),
        ([], "give --input FILE (a data file) or --programme CODE"),
    ],
)
def test_store_mode_options_are_checked_in_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["evaluate", *argv], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []  # no database file left behind


def test_data_is_a_deprecated_spelling_of_input(cohort_csv, capsys):
    old = ["--data" if a == "--input" else a for a in evaluate_argv(cohort_csv)]
    code, out, err = run(old, capsys)
    assert code == 0 and err == "warning: --data is deprecated; use --input\n"
    code, again, err = run(evaluate_argv(cohort_csv), capsys)
    assert code == 0 and err == ""
    first, second = json.loads(out), json.loads(again)
    assert first["estimates"] == second["estimates"] and first["source"] == {
        "kind": "file",
        "path": str(cohort_csv),
    }


def test_a_spec_file_runs_on_a_data_file_as_the_options_do(cohort_csv, capsys, tmp_path):
    from desist.evaluation.matching import NearestNeighborMatcher
    from desist.evaluation.spec import EvaluationSpec

    options = evaluate_argv(cohort_csv, "--ratio", "2", "--caliper", "0.25", "--seed", "1")
    code, out, err = run(options, capsys)
    spec = EvaluationSpec(
        outcome="reoffended_2y",
        covariates=tuple(COVS.split(",")),
        design=NearestNeighborMatcher(ratio=2, caliper=0.25, random_state=1),
        random_state=1,
    )
    path = tmp_path / "spec.json"
    path.write_text(spec.to_json())
    code2, out2, err2 = run(
        ["evaluate", "--input", str(cohort_csv), "--spec", str(path), "--format", "json"], capsys
    )
    assert code == code2 == 0, err2
    a, b = json.loads(out), json.loads(out2)
    assert a["spec"] == b["spec"] == spec.to_dict() and a["estimates"] == b["estimates"]
    code, out, err = run(
        ["evaluate", "--input", str(cohort_csv), "--spec", str(path), "--ratio", "3"], capsys
    )
    assert code == 2 and "--ratio: give the settings in --spec FILE or as options, not both" in err


def test_survival_duration_is_a_deprecated_spelling_of_time(rossi_csv, capsys):
    new = survival_argv(rossi_csv, "fin,age", "--format", "json")
    old = ["--duration" if a == "--time" else a for a in new]
    code, out, err = run(old, capsys)
    assert code == 0 and err == "warning: --duration is deprecated; use --time\n"
    code, again, err = run(new, capsys)
    assert code == 0 and err == "" and json.loads(out) == json.loads(again)
    assert json.loads(again)["time"] == "week"


def test_weight_trimming_and_clipping_flags_are_the_library_settings(cohort_csv, capsys):
    from desist.evaluation.evaluate import Evaluation
    from desist.evaluation.spec import EvaluationSpec
    from desist.evaluation.weighting import IPWWeighter

    trimmed = ("--method", "ipw", "--trim", "0.95", "--trim-rule", "group")
    code, out, err = run(evaluate_argv(cohort_csv, *trimmed), capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["settings"]["params"]["trim"] == 0.95 and d["settings"]["params"]["trim_rule"] == "group"
    spec = EvaluationSpec(
        treatment="treated",
        outcome="reoffended_2y",
        covariates=tuple(COVS.split(",")),
        design=IPWWeighter(trim=0.95, trim_rule="group"),
    )
    library = Evaluation.from_spec(spec).fit(pd.read_csv(cohort_csv)).result().to_dict()
    assert d["outcome"]["estimate"] == pytest.approx(library["outcome"]["estimate"], rel=1e-12)
    code, untrimmed, _ = run(evaluate_argv(cohort_csv, "--method", "ipw"), capsys)
    assert json.loads(untrimmed)["outcome"]["estimate"] != d["outcome"]["estimate"]  # the flag did something

    code, out, err = run(evaluate_argv(cohort_csv, "--method", "aipw", "--clip", "0.05"), capsys)
    assert code == 0 and json.loads(out)["settings"]["params"]["clip"] == 0.05, err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--clip", "0.05"), "--clip 0.05: does not apply to --method nearest"),
        (("--method", "ipw", "--trim-rule", "x"), "--trim-rule 'x': expected one of weightit, group"),
        (("--method", "ipw", "--trim", "0.2"), "trim=0.2"),
    ],
)
def test_weight_flags_are_refused_in_one_line(cohort_csv, capsys, extra, message):
    code, out, err = run(evaluate_argv(cohort_csv, *extra), capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_library_errors_are_shown_with_the_flags(cohort_csv, capsys):
    code, _, err = run(evaluate_argv(cohort_csv, "--time", "event", "--event", "event"), capsys)
    expected = "error: --event 'event': is the --time column; expected a separate 0/1 column\n"
    assert code == 2 and err == expected
    code, _, err = run(evaluate_argv(cohort_csv, "--bootstrap", "-1"), capsys)
    assert code == 2 and err.startswith("error: --bootstrap -1: expected 0 or a number"), err
