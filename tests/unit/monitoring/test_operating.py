"""Operating characteristics, fast version (the full one is benchmarks/monitoring_oc.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desist.monitoring import AlwaysValidDesign, GroupSequentialDesign, maximum_information
from desist.monitoring.operating import logrank, simulate


def test_logrank_matches_lifelines() -> None:
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(0)
    n = 400
    treated = rng.random(n) < 0.4
    t = rng.exponential(1, n) / np.where(treated, 1.5, 1.0)
    e = t < 1.2
    t = np.minimum(t, 1.2)
    u, v = logrank(t, e, treated)
    ref = logrank_test(t[treated], t[~treated], e[treated], e[~treated])
    assert u * u / v == pytest.approx(ref.test_statistic, rel=1e-9)


@pytest.fixture(scope="module")
def setting() -> dict:
    rng = np.random.default_rng(5)
    n = 6000
    return {
        "release_days": np.sort(rng.uniform(0, 17 * 365.25, n)),
        "treated": rng.random(n) < 0.3,
        "look_days": np.arange(1, 69) * 365.25 / 4,
        "yearly_rate": 0.03,
        "max_information": maximum_information(GroupSequentialDesign()),
    }


def test_false_alarms_at_or_below_nominal(setting: dict) -> None:
    histories = 300
    results = simulate(
        **setting,
        designs=[GroupSequentialDesign(), AlwaysValidDesign()],
        hazard_ratio=1.0,
        histories=histories,
        seed=1,
    )
    for r in results:
        # two-sided alpha 0.05: the harm side alone gets at most 0.025; allow Monte Carlo error
        assert r.rate <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / histories)
        assert r.interval()[0] <= r.rate <= r.interval()[1]


def test_harm_is_found(setting: dict) -> None:
    results = simulate(
        **setting,
        designs=[GroupSequentialDesign(), AlwaysValidDesign()],
        hazard_ratio=1.6,
        histories=60,
        seed=2,
    )
    for r in results:
        assert r.rate > 0.8
        assert r.median_alert_look() is not None and r.median_alert_look() < 68
