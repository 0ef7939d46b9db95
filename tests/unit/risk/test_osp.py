"""OSP/DC and OSP/IIC: item points, every band boundary on both sides, the community drop, the probability."""

from __future__ import annotations

import math

import pytest

from desist.domain.errors import InputError
from desist.domain.risk import osp
from desist.domain.risk.bands import Band


def test_baseline_scores_zero(osp_in):
    r = osp.score(osp_in())
    assert r.dc.points == 0
    assert r.dc.band is Band.LOW
    assert set(r.dc.items.values()) == {0}


@pytest.mark.parametrize(
    ("field", "table"),
    [
        ("contact_adult_sanctions", [0, 5, 10, 15, 15]),
        ("contact_child_sanctions", [0, 3, 6, 9, 9]),
        ("paraphilia_sanctions", [0, 2, 4, 6, 6]),
    ],
)
def test_sanction_count_points(osp_in, field, table):
    for count, expected in enumerate(table):
        r = osp.score(osp_in(**{field: count, "total_sanctions": max(count, 1)}))
        assert r.dc.items[field] == expected, (field, count)


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (17, 14),
        (18, 14),
        (19, 14),
        (20, 14),
        (21, 13),
        (30, 10),
        (57, 1),
        (58, 1),
        (59, 1),
        (60, 0),
        (61, 0),
        (90, 0),
    ],
)
def test_current_age_points(osp_in, age, points):
    # ceil((60 - age) / 3) between 18 and 59; under 18 -> 14; 60+ -> 0
    assert osp.score(osp_in(age=age, age_at_last_sexual_offence=15)).dc.items["current_age"] == points


@pytest.mark.parametrize(("last", "points"), [(15, 0), (16, 5), (17, 5), (18, 10), (40, 10)])
def test_age_at_last_sexual_offence(osp_in, last, points):
    assert osp.score(osp_in(age_at_last_sexual_offence=last)).dc.items["age_at_last_sexual_offence"] == points


def test_total_sanctions_and_stranger(osp_in):
    assert osp.score(osp_in(total_sanctions=1)).dc.items["total_sanctions"] == 0
    assert osp.score(osp_in(total_sanctions=2)).dc.items["total_sanctions"] == 6
    assert osp.score(osp_in(stranger_victim=True)).dc.items["stranger_victim"] == 4


def _with_points(osp_in, points: int, **kw):
    """A record with exactly `points` OSP/DC points, built from age (0-14) plus other items."""
    # contact adult 3+ = 15, age at last offence 18+ = 10, total > 1 = 6, stranger = 4; then age
    parts = {
        "contact_adult_sanctions": 0,
        "age_at_last_sexual_offence": 15,
        "total_sanctions": 1,
        "stranger_victim": False,
    }
    rest = points
    if rest >= 15:
        parts["contact_adult_sanctions"], parts["total_sanctions"], rest = 3, 3, rest - 15 - 6
    if rest >= 10:
        parts["age_at_last_sexual_offence"], rest = 18, rest - 10
    if rest >= 4 and rest - 4 <= 14:
        parts["stranger_victim"], rest = True, rest - 4
    assert 0 <= rest <= 14, points
    age = 60 - 3 * rest  # ceil((60 - age)/3) == rest
    parts["age_at_last_sexual_offence"] = min(parts["age_at_last_sexual_offence"], age)
    r = osp.score(osp_in(age=age, **{**parts, **kw}))
    assert r.dc.points == points
    return r


@pytest.mark.parametrize(
    ("points", "band"),
    [
        (21, Band.LOW),
        (22, Band.MEDIUM),
        (29, Band.MEDIUM),
        (30, Band.HIGH),
        (35, Band.HIGH),
        (36, Band.VERY_HIGH),
    ],
)
def test_dc_band_boundaries(osp_in, points, band):
    assert _with_points(osp_in, points).dc.band is band


COMMUNITY = dict(
    in_custody=False,
    years_since_community_date=5,
    offence_in_last_5_years=False,
    sexual_offence_in_last_5_years=False,
)


@pytest.mark.parametrize(
    ("points", "dropped"),
    [(21, Band.LOW), (22, Band.LOW), (30, Band.MEDIUM), (36, Band.HIGH)],
)
def test_community_drop_one_band(osp_in, points, dropped):
    r = _with_points(osp_in, points, **COMMUNITY)
    assert r.dc.community_drop is True
    assert r.dc.band is dropped
    assert r.dc.probability == pytest.approx(osp.probability(points))  # the drop changes the band only


@pytest.mark.parametrize(
    "change",
    [
        dict(in_custody=True),
        dict(years_since_community_date=4.99),
        dict(years_since_community_date=None),
        dict(offence_in_last_5_years=True),
        dict(sexual_offence_in_last_5_years=True),
    ],
)
def test_no_community_drop(osp_in, change):
    r = _with_points(osp_in, 36, **{**COMMUNITY, **change})
    assert r.dc.community_drop is False
    assert r.dc.band is Band.VERY_HIGH


@pytest.mark.parametrize("points", [0, 10, 22, 36, 60])
def test_probability_formula(points):
    # logit = -8.633 + 0.1598 * points (domain.md section 4)
    expected = 1 / (1 + math.exp(8.633 - 0.1598 * points))
    assert osp.probability(points) == pytest.approx(expected, rel=1e-12)
    assert math.log(expected / (1 - expected)) == pytest.approx(-8.633 + 0.1598 * points)


def test_probability_in_result(osp_in):
    r = _with_points(osp_in, 30)
    assert r.dc.probability == pytest.approx(1 / (1 + math.exp(8.633 - 0.1598 * 30)))
    assert r.to_dict()["osp_dc"] == {"points": 30, "band": "HIGH", "probability": r.dc.probability}


def test_women_and_no_sexual_sanctions_not_applicable(osp_in):
    woman = osp.score(osp_in(sex="F", contact_adult_sanctions=2, total_sanctions=2))
    assert (woman.dc.band, woman.dc.points, woman.iic.band) == (
        Band.NOT_APPLICABLE,
        None,
        Band.NOT_APPLICABLE,
    )
    none = osp.score(osp_in(indecent_image_sanctions=0, age_at_last_sexual_offence=None))
    assert none.dc.band is Band.NOT_APPLICABLE and none.iic.band is Band.NOT_APPLICABLE
    assert none.iic.probability is None and none.dc.probability is None


@pytest.mark.parametrize(
    ("counts", "band", "p"),
    [
        ({"indecent_image_sanctions": 2, "contact_child_sanctions": 3}, Band.HIGH, 0.1031),
        ({"indecent_image_sanctions": 1, "contact_child_sanctions": 3}, Band.MEDIUM, 0.03328),
        ({"indecent_image_sanctions": 0, "contact_child_sanctions": 2}, Band.LOW, 0.00926),
        ({"indecent_image_sanctions": 0, "contact_child_sanctions": 1}, Band.LOW, 0.00634),
        ({"indecent_image_sanctions": 0, "contact_adult_sanctions": 1}, Band.LOW, 0.00281),
        ({"indecent_image_sanctions": 0, "paraphilia_sanctions": 4}, Band.LOW, 0.00281),
    ],
)
def test_iic_first_match_wins(osp_in, counts, band, p):
    r = osp.score(osp_in(**{**counts, "total_sanctions": 4}))
    assert (r.iic.band, r.iic.probability) == (band, p)


def test_cross_field_rules(osp_in):
    with pytest.raises(InputError, match="total_sanctions"):
        osp_in(contact_adult_sanctions=3, total_sanctions=2)
    with pytest.raises(InputError, match="age_at_last_sexual_offence.*above the current age"):
        osp_in(age=30, age_at_last_sexual_offence=31)
    with pytest.raises(InputError, match="age_at_last_sexual_offence': missing"):
        osp_in(age_at_last_sexual_offence=None)
