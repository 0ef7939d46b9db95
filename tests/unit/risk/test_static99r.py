"""Static-99R: each item's points, the charges/convictions row, totals in range, 2016 levels."""

from __future__ import annotations

import pytest

from desist.domain.errors import InputError
from desist.domain.risk import static99r


def test_baseline_total_zero(s99_in):
    r = static99r.score(s99_in())
    assert (r.total, r.level) == (0, "II")


@pytest.mark.parametrize(
    ("age", "points"), [(18, 1), (34.9, 1), (35, 0), (39.9, 0), (40, -1), (59.9, -1), (60, -3), (85, -3)]
)
def test_age_at_release(s99_in, age, points):
    assert static99r.score(s99_in(age_at_release=age)).items["age_at_release"] == points


@pytest.mark.parametrize(
    ("charges", "convictions", "points"),
    [
        (0, 0, 0),
        (1, 0, 1),
        (2, 0, 1),
        (3, 0, 2),
        (5, 0, 2),
        (6, 0, 3),
        (0, 1, 1),
        (0, 2, 2),
        (0, 3, 2),
        (0, 4, 3),
        (2, 2, 2),
        (6, 1, 3),
        (1, 4, 3),
    ],
)
def test_prior_sex_offences_takes_higher_row(s99_in, charges, convictions, points):
    r = static99r.score(s99_in(prior_sex_charges=charges, prior_sex_convictions=convictions))
    assert r.items["prior_sex_offences"] == points


@pytest.mark.parametrize(("dates", "points"), [(0, 0), (3, 0), (4, 1), (9, 1)])
def test_prior_sentencing_dates(s99_in, dates, points):
    assert static99r.score(s99_in(prior_sentencing_dates=dates)).items["prior_sentencing_dates"] == points


@pytest.mark.parametrize(
    "item",
    [
        "index_nonsexual_violence",
        "prior_nonsexual_violence",
        "noncontact_sex_conviction",
        "unrelated_victim",
        "stranger_victim",
        "male_victim",
    ],
)
def test_yes_items_score_one(s99_in, item):
    assert static99r.score(s99_in(**{item: True})).items[item] == 1
    assert static99r.score(s99_in(**{item: True})).total == 1


def test_never_lived_with_partner_scores_one(s99_in):
    assert static99r.score(s99_in(lived_with_partner_2y=False)).items["lived_with_partner_2y"] == 1


MAX = dict(
    age_at_release=20,
    lived_with_partner_2y=False,
    index_nonsexual_violence=True,
    prior_nonsexual_violence=True,
    prior_sex_charges=10,
    prior_sex_convictions=10,
    prior_sentencing_dates=10,
    noncontact_sex_conviction=True,
    unrelated_victim=True,
    stranger_victim=True,
    male_victim=True,
)


def test_range_ends(s99_in):
    assert static99r.score(s99_in(age_at_release=70)).total == -3
    top = static99r.score(s99_in(**MAX))
    assert (top.total, top.level) == (12, "IVb")
    assert sum(top.items.values()) == top.total


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (-3, "I"),
        (-2, "I"),
        (-1, "II"),
        (0, "II"),
        (1, "III"),
        (3, "III"),
        (4, "IVa"),
        (5, "IVa"),
        (6, "IVb"),
        (12, "IVb"),
    ],
)
def test_levels_both_sides(total, level):
    assert static99r.level(total)[0] == level


@pytest.mark.parametrize(
    ("total", "age", "extra"),
    [(-3, 60, 0), (-2, 60, 1), (-1, 40, 0), (1, 18, 0), (3, 18, 2), (4, 18, 3), (5, 18, 4), (6, 18, 5)],
)
def test_levels_through_score(s99_in, total, age, extra):
    flags = [
        "male_victim",
        "stranger_victim",
        "unrelated_victim",
        "noncontact_sex_conviction",
        "index_nonsexual_violence",
    ][:extra]
    r = static99r.score(s99_in(age_at_release=age, **{f: True for f in flags}))
    assert r.total == total
    assert r.level == static99r.level(total)[0]
    assert r.to_dict()["total"] == total and r.to_dict()["items"] == r.items


def test_women_refused(s99_in):
    with pytest.raises(InputError, match="sex"):
        s99_in(sex="F")
