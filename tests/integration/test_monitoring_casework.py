"""Reviews of the casework store: ``desist monitor run`` evaluates each programme through
``evaluate_programme`` as it could have been evaluated on the review date, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from desist.domain.errors import Conflict
from desist.monitoring import GroupSequentialDesign
from desist.monitoring.review import Monitor
from desist.services import monitoring as svc
from desist.services.demo import load_population
from desist.services.evaluations import evaluate_programme, get_run
from desist.synth import generate_population
from desist.synth.export import write_import_files
from tests.principals import admin, analyst

MEN, SEED = 1500, 3
END = dt.date(2024, 12, 31)
EARLY, LATE = dt.date(2016, 12, 31), dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def population():
    return generate_population(MEN, seed=SEED)


@pytest.fixture
def loaded(engine, population, tmp_path):
    load_population(engine, write_import_files(population, END, tmp_path / "files"), principal=admin())
    return engine


def test_store_reviews_follow_the_cut_off_and_equal_evaluate_programme(loaded, uow_factory) -> None:
    make = lambda: uow_factory(analyst())  # noqa: E731
    # a small store: a low event threshold and a small planned information, so both looks are tested
    monitor = Monitor(GroupSequentialDesign(), 10.0, min_events=1)
    evaluator = svc.store_evaluator(make, min_treated=20)
    early = svc.run_reviews(make, evaluator, ["SOTP-CORE"], EARLY, monitor, source=svc.STORE_SOURCE)[0]
    late = svc.run_reviews(make, evaluator, ["SOTP-CORE"], LATE, monitor, source=svc.STORE_SOURCE)[0]
    assert early["stored"] and late["stored"]
    assert early["decision"] != "too little data" and late["decision"] != "too little data"

    # the cut-off restricts the cohort and the outcomes: by 2016 only men released by mid-2011 count
    assert 20 <= early["treated"] < late["treated"]
    assert early["comparison"] < late["comparison"]
    assert early["events"] < late["events"]

    # each review IS evaluate_programme's answer on that date (the run it made, and a fresh one)
    for review, day in ((early, EARLY), (late, LATE)):
        run = get_run(make(), review["evidence"]["evaluation_run"])
        assert run.as_of == day and run.programme == "SOTP-CORE"
        fresh = evaluate_programme("SOTP-CORE", day, None, make(), min_treated=20).result
        hr = fresh.estimate("hazard_ratio")
        assert review["estimate"] == pytest.approx(hr["estimate"], rel=1e-12)
        assert review["ci"] == pytest.approx([hr["ci_low"], hr["ci_high"]], rel=1e-12)
        assert run.result.estimates == fresh.estimates
        assert review["treated"] == fresh.n["treated"] and review["comparison"] == fresh.n["control"]
        events = fresh.survival["events"]
        assert review["events"] == events["treated"] + events["control"]
        se = (math.log(hr["ci_high"]) - math.log(hr["ci_low"])) / (2 * 1.959963984540054)
        assert review["z"] == pytest.approx(math.log(hr["estimate"]) / se, rel=1e-9)
        # the evidence comes from the evaluation: its worst balance after matching, its largest subgroup
        worst = max(fresh.balance, key=lambda r: abs(r["smd_after"]))
        assert review["evidence"]["worst_balance"]["covariate"] == worst["covariate"]
        assert review["evidence"]["worst_balance"]["smd"] == round(abs(worst["smd_after"]), 3)
        assert review["evidence"]["matched"]["treated"] == fresh.n["treated_matched"]
        sub = review["evidence"]["largest_subgroup_effect"]
        assert sub["subgroup"].startswith("risk_band = ")

    # the later look's boundary uses the earlier stored look's information
    fractions = [early["information_fraction"], late["information_fraction"]]
    assert late["boundary"] == pytest.approx(GroupSequentialDesign().boundaries(fractions).z[-1])

    # re-running the same date is idempotent: nothing evaluated, nothing stored
    with make() as uow:
        runs_before = uow.evaluation_runs.count()
    again = svc.run_reviews(make, evaluator, ["SOTP-CORE"], LATE, monitor, source=svc.STORE_SOURCE)[0]
    assert not again["stored"] and again["id"] == late["id"] and again["estimate"] == late["estimate"]
    with make() as uow:
        assert uow.evaluation_runs.count() == runs_before

    # another source's reviews do not mix into this programme's sequence
    with pytest.raises(Conflict, match="casework store"):
        svc.run_reviews(make, evaluator, ["SOTP-CORE"], LATE, monitor, source="synthetic national history")


def test_too_few_treated_is_too_little_data_and_default_programmes(loaded, uow_factory) -> None:
    make = lambda: uow_factory(analyst())  # noqa: E731
    monitor = svc.make_monitor()
    evaluator = svc.store_evaluator(make)  # the Justice Data Lab's 60 treated men
    review = svc.run_reviews(make, evaluator, ["SOTP-CORE"], dt.date(2016, 12, 31), monitor,
                             source=svc.STORE_SOURCE)[0]
    assert review["decision"] == "too little data" and review["estimate"] is None
    # the cohort is counted and the reason kept, though there is no estimate
    assert 0 < review["treated"] < 60 < review["comparison"]
    assert "expected at least 60" in review["evidence"]["reason"]
    codes = svc.store_programmes(make)
    assert "SOTP-CORE" in codes and "KAIZEN" in codes
    assert all(c not in codes for c in ("C-SOGP", "BC-HIGH"))  # community / PNI-pathway programmes
