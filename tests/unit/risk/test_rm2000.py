"""Risk Matrix 2000: /S step 1 and step 2, /V, /C, each total's category on both sides of its cut."""

from __future__ import annotations

import pytest

from desist.domain.risk import rm2000
from desist.domain.risk.bands import Band


def test_baseline_low(rm_in):
    r = rm2000.score(rm_in())
    assert (r.s.points, r.s.category, r.v.points, r.v.category, r.c.category) == (
        0,
        Band.LOW,
        0,
        Band.LOW,
        Band.LOW,
    )


@pytest.mark.parametrize(
    ("age", "s", "v"),
    [(18, 2, 3), (24, 2, 3), (25, 1, 2), (34, 1, 2), (35, 0, 1), (44, 0, 1), (45, 0, 0), (70, 0, 0)],
)
def test_age_points(rm_in, age, s, v):
    r = rm2000.score(rm_in(age_at_commencement_of_risk=age))
    assert r.s.items["age_at_commencement_of_risk"] == s
    assert r.v.items["age_at_commencement_of_risk"] == v


@pytest.mark.parametrize(("n", "points"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (9, 3)])
def test_sexual_appearances(rm_in, n, points):
    assert rm2000.score(rm_in(sexual_appearances=n)).s.items["sexual_appearances"] == points


@pytest.mark.parametrize(("n", "points"), [(0, 0), (4, 0), (5, 1), (20, 1)])
def test_criminal_appearances(rm_in, n, points):
    assert rm2000.score(rm_in(criminal_appearances=n)).s.items["criminal_appearances"] == points


@pytest.mark.parametrize(
    ("kw", "points", "category"),
    [
        ({}, 0, Band.LOW),
        ({"criminal_appearances": 5}, 1, Band.LOW),
        ({"sexual_appearances": 2, "criminal_appearances": 5}, 2, Band.MEDIUM),
        ({"sexual_appearances": 3, "criminal_appearances": 5}, 3, Band.MEDIUM),
        ({"sexual_appearances": 5, "criminal_appearances": 5}, 4, Band.HIGH),
        (
            {"age_at_commencement_of_risk": 30, "sexual_appearances": 5, "criminal_appearances": 5},
            5,
            Band.HIGH,
        ),
        (
            {"age_at_commencement_of_risk": 20, "sexual_appearances": 5, "criminal_appearances": 5},
            6,
            Band.VERY_HIGH,
        ),
    ],
)
def test_s_step1_categories(rm_in, kw, points, category):
    r = rm2000.score(rm_in(**kw))
    assert (r.s.points, r.s.category) == (points, category)


AGG = ["male_victim", "stranger_victim", "never_married", "noncontact_sexual_offence"]


@pytest.mark.parametrize(
    ("n_factors", "start_kw", "expected"),
    [
        (1, {}, Band.LOW),
        (2, {}, Band.MEDIUM),
        (3, {}, Band.MEDIUM),
        (4, {}, Band.HIGH),
        (2, {"sexual_appearances": 5, "criminal_appearances": 5}, Band.VERY_HIGH),
        (4, {"sexual_appearances": 5, "criminal_appearances": 5}, Band.VERY_HIGH),
    ],
)
def test_s_step2_raises(rm_in, n_factors, start_kw, expected):
    r = rm2000.score(rm_in(**start_kw, **{f: True for f in AGG[:n_factors]}))
    assert r.s.category is expected
    assert r.s.items["aggravating_factors"] == n_factors


@pytest.mark.parametrize(
    ("kw", "points", "category"),
    [
        ({"age_at_commencement_of_risk": 40}, 1, Band.LOW),
        ({"age_at_commencement_of_risk": 30}, 2, Band.MEDIUM),
        ({"age_at_commencement_of_risk": 20}, 3, Band.MEDIUM),
        ({"age_at_commencement_of_risk": 20, "violent_appearances": 1}, 4, Band.HIGH),
        ({"burglary": True, "violent_appearances": 3}, 4, Band.HIGH),
        ({"burglary": True, "violent_appearances": 2, "age_at_commencement_of_risk": 40}, 5, Band.HIGH),
        ({"burglary": True, "violent_appearances": 4, "age_at_commencement_of_risk": 40}, 6, Band.VERY_HIGH),
        ({"burglary": True, "violent_appearances": 4, "age_at_commencement_of_risk": 18}, 8, Band.VERY_HIGH),
    ],
)
def test_v_totals(rm_in, kw, points, category):
    r = rm2000.score(rm_in(**kw))
    assert (r.v.points, r.v.category) == (points, category)


@pytest.mark.parametrize(
    ("s", "v", "points", "category"),
    [
        (Band.LOW, Band.LOW, 2, Band.LOW),
        (Band.LOW, Band.MEDIUM, 3, Band.LOW),
        (Band.MEDIUM, Band.MEDIUM, 4, Band.MEDIUM),
        (Band.HIGH, Band.MEDIUM, 5, Band.MEDIUM),
        (Band.HIGH, Band.HIGH, 6, Band.HIGH),
        (Band.VERY_HIGH, Band.HIGH, 7, Band.HIGH),
        (Band.VERY_HIGH, Band.VERY_HIGH, 8, Band.VERY_HIGH),
    ],
)
def test_c_combines(s, v, points, category):
    c = rm2000.combine(s, v)
    assert (c.points, c.category) == (points, category)


def test_to_dict_shape(rm_in):
    d = rm2000.score(rm_in()).to_dict()
    assert set(d) == {"s", "v", "c"}
    assert d["s"]["category"] == "LOW" and d["c"]["points"] == 2
