"""EvaluationSpec: frozen, serialisable, refuses settings that do not apply, and runs the same as the old
keyword constructor."""

import dataclasses
import json

import pytest
import yaml

from desist.domain.errors import InputError
from desist.evaluation.aipw import AIPWEstimator
from desist.evaluation.evaluate import Evaluation
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
from desist.evaluation.simulate import simulate_cohort
from desist.evaluation.spec import EvaluationSpec, design_from_dict, design_from_settings
from desist.evaluation.weighting import IPWWeighter

COVS = ("age", "risk_band", "prior_sexual")


def _spec(**changes):
    base = {
        "outcome": "reoffended_2y",
        "covariates": COVS,
        "design": NearestNeighborMatcher(ratio=2, caliper=0.2, exact=["setting"]),
        "time": "time_days",
        "event": "event",
        "subgroup": "risk_band",
    }
    return EvaluationSpec(**{**base, **changes})


def test_spec_is_frozen_and_owns_its_design():
    design = NearestNeighborMatcher(ratio=2)
    spec = _spec(design=design)
    design.set_params(ratio=5)  # the caller's object changes; the spec's copy does not
    assert spec.design.ratio == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.outcome = "x"  # type: ignore[misc]
    assert spec.replace(bootstrap=200).bootstrap == 200 and spec.bootstrap == 0


@pytest.mark.parametrize(
    "design",
    [
        NearestNeighborMatcher(ratio=2, caliper=0.2, exact=["setting"]),
        SubclassMatcher(n_subclasses=5, estimand="ATE"),
        IPWWeighter(estimand="ATE", trim=0.99, stabilize=True),
        AIPWEstimator(method="glm", clip=0.01),
    ],
    ids=repr,
)
def test_round_trip_through_dict_json_and_yaml(design, tmp_path):
    spec = _spec(design=design, subgroup=None)
    d = spec.to_dict()
    assert d["design"]["method"] == spec.method and d["covariates"] == list(COVS)
    assert EvaluationSpec.from_dict(d) == spec
    assert EvaluationSpec.from_json(spec.to_json()) == spec
    assert hash(EvaluationSpec.from_json(spec.to_json())) == hash(spec)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(d))
    (tmp_path / "s.json").write_text(json.dumps(d))
    assert EvaluationSpec.read(tmp_path / "s.yaml") == EvaluationSpec.read(tmp_path / "s.json") == spec


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"design": {"method": "ipw", "params": {"ratio": 3}}},
            "spec.design.params.ratio: does not apply to",
        ),
        (
            {"design": {"method": "ipw", "ratio": 3}},
            "spec.design.ratio: not allowed here; put design settings",
        ),
        ({"design": {"method": "lasso"}}, "spec.design.method 'lasso': expected one of nearest"),
        ({"colour": "red"}, "spec.colour: not a setting"),
        ({"treated_when": "referred"}, "treated_when 'referred': expected completed or started"),
        ({"followup_years": 0}, "followup_years 0"),
        ({"waiting_months": 1.5}, "waiting_months 1.5"),
        ({"covariates": "age"}, "covariates 'age': expected a list"),
        ({"design": {"method": "aipw"}, "bootstrap": 100}, "bootstrap: not available with aipw"),
        ({"design": {"method": "nearest", "params": {"estimand": "ATE"}}}, "estimand ATE"),
    ],
)
def test_from_dict_refuses_in_one_line(data, message):
    base = {"outcome": "y", "covariates": ["age"]}
    with pytest.raises(InputError) as info:
        EvaluationSpec.from_dict({**base, **data})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_required_setting():
    with pytest.raises(InputError, match="spec.covariates: missing"):
        EvaluationSpec.from_dict({"outcome": "y"})


@pytest.mark.parametrize(
    ("method", "settings", "message"),
    [
        ("ipw", {"ratio": 3}, "--ratio 3: does not apply to --method ipw"),
        ("ipw", {"caliper": 0.1}, "--caliper 0.1: does not apply to --method ipw"),
        ("aipw", {"replace": True}, "--replace True: does not apply to --method aipw"),
        ("subclass", {"exact": ["a"]}, "--exact ['a']: does not apply to --method subclass"),
        ("nearest", {"n_subclasses": 4}, "--n-subclasses 4: does not apply to --method nearest"),
        ("nearest", {"trim": 0.99}, "--trim 0.99: does not apply to --method nearest"),
    ],
)
def test_flat_settings_that_do_not_apply_are_refused(method, settings, message):
    with pytest.raises(InputError) as info:
        design_from_settings(method, name=lambda p: "--" + p.replace("_", "-"), **settings)
    assert str(info.value).startswith(message)


def test_defaults_are_not_settings_given():
    d = design_from_settings("ipw", "ATE", "gbm", 3, ratio=1, replace=False, caliper=None, trim=0.95)
    assert d == IPWWeighter(estimand="ATE", method="gbm", random_state=3, trim=0.95)
    assert design_from_dict({"method": "subclass", "params": {"n_subclasses": 4}}) == SubclassMatcher(
        n_subclasses=4
    )


def test_spec_and_keyword_constructor_give_the_same_answer():
    data = simulate_cohort(1500, seed=4, intercept=-2.0)
    old = Evaluation(
        "treated", "reoffended_2y", list(COVS), ratio=2, caliper=0.2, time="time_days", event="event"
    ).fit(data)
    new = Evaluation.from_spec(_spec(design=NearestNeighborMatcher(ratio=2, caliper=0.2), subgroup=None))
    new.fit(data)
    assert old.spec == new.spec_
    assert old.to_frame().equals(new.to_frame())
    applied = old.to_dict()["settings"]
    assert applied["params"] == new.spec_.design.get_params() and applied["order"] == "largest"
    assert applied["caliper_distance_units"] == pytest.approx(0.2 * new.design_.distance_.std(ddof=1))


def test_keyword_settings_changed_after_construction_are_checked_again():
    ev = Evaluation("treated", "reoffended_2y", list(COVS), method="ipw")
    ev.ratio = 4
    with pytest.raises(InputError, match="ratio 4: does not apply to method ipw"):
        ev.fit(simulate_cohort(300, seed=1))
