"""One contract over every design estimator (scikit-learn's check_estimator in spirit): __init__ stores only,
settings round-trip through get_params, clone gives an equal unfitted copy, repr reads back, fit returns
self, and bad settings are refused at fit with a message naming the Python parameter."""

import dataclasses
import inspect
import re

import numpy as np
import pytest

from desist.domain.errors import DesistError, InputError
from desist.evaluation.aipw import AIPWEstimator
from desist.evaluation.design import design_matrix
from desist.evaluation.estimator import BaseEstimator, clone
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
from desist.evaluation.propensity import PropensityModel
from desist.evaluation.simulate import simulate_cohort
from desist.evaluation.spec import DESIGNS
from desist.evaluation.weighting import IPWWeighter

ESTIMATORS = [NearestNeighborMatcher, SubclassMatcher, IPWWeighter, AIPWEstimator, PropensityModel]
COVS = ["age", "risk_band", "prior_sexual"]

#: one bad value per setting that fit validates, and the parameter name the message must start with
BAD = {
    NearestNeighborMatcher: {
        "ratio": 0,
        "caliper": -1.0,
        "order": "sideways",
        "discard": "some",
        "estimand": "ATE",
        "distance": "euclid",
        "exact": ["no_such_column"],
    },
    SubclassMatcher: {"n_subclasses": 1, "estimand": "ATX", "discard": "some", "distance": "mahalanobis"},
    IPWWeighter: {"estimand": "ATC", "trim": 0.2},
    AIPWEstimator: {"estimand": "ATC", "clip": 0.99},
    PropensityModel: {"method": "forest"},
}


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(600, seed=5, intercept=-1.5)


def _fit(est, cohort):
    if isinstance(est, AIPWEstimator):
        return est.fit(design_matrix(cohort, COVS), cohort.treated.to_numpy(bool), cohort.reoffended_2y)
    if isinstance(est, PropensityModel):
        return est.fit(design_matrix(cohort, COVS), cohort.treated.to_numpy(bool))
    return est.fit(cohort, "treated", COVS)


def test_every_design_is_covered():
    assert set(DESIGNS.values()) <= set(ESTIMATORS)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_init_stores_only(cls):
    assert issubclass(cls, BaseEstimator)
    names = cls._param_names()
    sentinels = {name: object() for name in names}
    est = cls(**sentinels)  # no validation in __init__: nonsense is stored, and refused at fit
    for name in names:
        assert getattr(est, name) is sentinels[name]
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    # every keyword has a default, so cls() is a valid unfitted estimator
    assert all(p.default is not inspect.Parameter.empty for p in inspect.signature(cls).parameters.values())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_params_round_trip_clone_and_repr(cls, cohort):
    changed = {name: value for name, value in BAD[cls].items() if name not in ("exact", "distance")}
    for est in (cls(), cls(random_state=7) if "random_state" in cls._param_names() else cls()):
        params = est.get_params()
        assert list(params) == cls._param_names()
        assert cls(**params).get_params() == params
        twin = clone(est)
        assert twin is not est and twin == est and repr(twin) == repr(est)
        assert eval(repr(est), {cls.__name__: cls}) == est
    odd = cls(**changed)
    assert odd != cls() and eval(repr(odd), {cls.__name__: cls}) == odd
    for name, value in changed.items():
        assert f"{name}={value!r}" in repr(odd)
    fitted = _fit(cls(), cohort)
    assert isinstance(fitted, cls)  # fit returns self
    fresh = clone(fitted)
    assert fresh == fitted and not [k for k in vars(fresh) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize(
    ("cls", "name"), [(c, n) for c in ESTIMATORS for n in BAD[c]], ids=lambda v: getattr(v, "__name__", v)
)
def test_bad_setting_is_refused_at_fit_naming_the_parameter(cls, name, cohort):
    est = cls(**{name: BAD[cls][name]})
    with pytest.raises(DesistError) as info:
        _fit(est, cohort)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(rf"\b{name}\b", message.split(":")[0]), message


def test_set_params_refuses_an_unknown_name():
    m = NearestNeighborMatcher()
    assert m.set_params(ratio=3).ratio == 3
    with pytest.raises(InputError, match="^n_subclasses: not a setting of NearestNeighborMatcher"):
        m.set_params(n_subclasses=4)


def test_equality_is_of_settings_not_fitted_state(cohort):
    a = NearestNeighborMatcher(caliper=0.2)
    b = _fit(NearestNeighborMatcher(caliper=0.2), cohort)
    assert a == b and a != NearestNeighborMatcher(caliper=0.25) and a != SubclassMatcher()
    assert NearestNeighborMatcher(ratio=1) != NearestNeighborMatcher(ratio=np.int64(1))  # type is a setting


def test_an_array_distance_is_shown_and_compared_safely():
    d = np.linspace(0, 1, 5)
    m = NearestNeighborMatcher(distance=d)
    assert "distance=array(" in repr(m)
    assert m == clone(m) == NearestNeighborMatcher(distance=d.copy())
    assert m != NearestNeighborMatcher(distance=d + 1) and m != NearestNeighborMatcher()


def test_settings_are_fields_with_the_base_repr_and_equality():
    # the dataclass only writes __init__; repr, equality and (no) hashing are BaseEstimator's
    for c in ESTIMATORS:
        assert [f.name for f in dataclasses.fields(c)] == c._param_names()
        assert c.__repr__ is BaseEstimator.__repr__ and c.__eq__ is BaseEstimator.__eq__
        assert c.__hash__ is None
