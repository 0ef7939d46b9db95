"""Programme Needs Identifier: domain.md section 3 worked cases, each threshold on both sides, pathways."""

from __future__ import annotations

import pytest

from desist.domain.errors import InputError
from desist.domain.risk import pni
from desist.domain.risk.bands import Band, NeedLevel, Pathway


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ((1, 1, 1), 1),
        ((1, 2, 1), 2),
        ((2, 2, 2), 2),
        ((0, 0, 0), 0),  # domain.md worked cases
        ((1, 0, 0), 0),
        ((1, 1, 0), 1),
        ((2, 1, 0), 1),
        ((2, 0, 2), 2),
        ((0, 2, 0), 2),
        ((2, 1, 1), 2),
    ],
)
def test_sex_domain(pni_in, items, score):
    a, b, c = items
    assert pni.score(pni_in(oasys_11_11=a, oasys_11_12=b, oasys_6_12=c)).need.sex == score


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ((0, 0), 0),
        ((1, 0), 1),
        ((0, 1), 1),
        ((1, 1), 1),
        ((0, 2), 1),
        ((2, 0), 2),
        ((2, 1), 2),
        ((1, 2), 2),
        ((2, 2), 2),
    ],
)
def test_thinking_domain(pni_in, items, score):
    assert pni.score(pni_in(oasys_12_1=items[0], oasys_12_9=items[1])).need.thinking == score


@pytest.mark.parametrize("domain", ["relationships", "self_management"])
@pytest.mark.parametrize(("total", "score"), [(0, 0), (1, 0), (2, 1), (4, 1), (5, 2), (8, 2)])
def test_summed_domains(pni_in, domain, total, score):
    names = {
        "relationships": ["oasys_6_1", "oasys_6_6", "oasys_7_3", "oasys_11_3"],
        "self_management": ["oasys_11_2", "oasys_11_4", "oasys_11_6", "oasys_10_1"],
    }[domain]
    values = [min(2, max(0, total - 2 * i)) for i in range(4)]
    assert sum(values) == total
    assert getattr(pni.score(pni_in(**dict(zip(names, values, strict=True)))).need, domain) == score


@pytest.mark.parametrize(
    ("overall", "level"),
    [
        (0, NeedLevel.LOW),
        (2, NeedLevel.LOW),
        (3, NeedLevel.MEDIUM),
        (5, NeedLevel.MEDIUM),
        (6, NeedLevel.HIGH),
        (8, NeedLevel.HIGH),
    ],
)
def test_overall_need_levels(pni_in, overall, level):
    # spread `overall` over the four domains, two at most each: sex via 11.12, thinking via 12.1
    sex, thinking, rel, sm = [min(2, max(0, overall - 2 * i)) for i in range(4)]
    kw = {
        "oasys_11_12": sex,
        "oasys_12_1": thinking,
        "oasys_6_1": 2 if rel else 0,
        "oasys_6_6": 2 if rel == 2 else 0,
        "oasys_7_3": 1 if rel == 2 else 0,
        "oasys_11_2": 2 if sm else 0,
        "oasys_11_4": 2 if sm == 2 else 0,
        "oasys_11_6": 1 if sm == 2 else 0,
    }
    need = pni.score(pni_in(**kw)).need
    assert (need.sex, need.thinking, need.relationships, need.self_management) == (sex, thinking, rel, sm)
    assert (need.overall, need.level) == (overall, level)


@pytest.mark.parametrize(
    "item", ["oasys_12_1", "oasys_12_9", "oasys_6_1", "oasys_7_3", "oasys_11_2", "oasys_10_1"]
)
def test_missing_items_give_missing_information(pni_in, item):
    r = pni.score(pni_in(**{item: None}))
    assert r.need.level == "MISSING_INFORMATION" and r.need.overall is None
    assert r.pathway is Pathway.MISSING_INFORMATION


def test_missing_sex_items_with_osp_level_is_an_error(pni_in):
    with pytest.raises(InputError, match="oasys_11_12.*OSP level"):
        pni.score(pni_in(oasys_11_12=None, osp_dc_band="LOW"))
    with pytest.raises(InputError, match="oasys_6_12"):
        pni.score(pni_in(oasys_6_12=None, osp_iic_band=Band.HIGH))


def test_missing_sex_items_without_osp_level(pni_in):
    for kw in ({}, {"osp_dc_band": "NOT_APPLICABLE"}, {"sex": "F", "osp_dc_band": "HIGH"}):
        r = pni.score(
            pni_in(oasys_11_11=None, oasys_11_12=None, oasys_6_12=None, oasys_12_1=2, oasys_6_1=2, **kw)
        )
        assert r.need.sex is None
        assert r.need.overall == 3 and r.need.level is NeedLevel.MEDIUM


@pytest.mark.parametrize(
    ("kw", "level"),
    [
        ({"ogrs3": 49.99}, NeedLevel.LOW),
        ({"ogrs3": 50}, NeedLevel.MEDIUM),
        ({"ogrs3": 74.99}, NeedLevel.MEDIUM),
        ({"ogrs3": 75}, NeedLevel.HIGH),
        ({"ovp": 29.99}, NeedLevel.LOW),
        ({"ovp": 30}, NeedLevel.MEDIUM),
        ({"ovp": 59.99}, NeedLevel.MEDIUM),
        ({"ovp": 60}, NeedLevel.HIGH),
        ({"rsr": 0.99}, NeedLevel.LOW),
        ({"rsr": 1}, NeedLevel.MEDIUM),
        ({"rsr": 2.99}, NeedLevel.MEDIUM),
        ({"rsr": 3}, NeedLevel.HIGH),
        ({"osp_dc_band": "LOW"}, NeedLevel.LOW),
        ({"osp_dc_band": "MEDIUM"}, NeedLevel.MEDIUM),
        ({"osp_dc_band": "HIGH"}, NeedLevel.HIGH),
        ({"osp_iic_band": "VERY_HIGH"}, NeedLevel.HIGH),
        ({"osp_iic_band": "MEDIUM"}, NeedLevel.MEDIUM),
        ({"sara_partner": "LOW"}, NeedLevel.LOW),
        ({"sara_partner": "MEDIUM"}, NeedLevel.MEDIUM),
        ({"sara_others": "HIGH"}, NeedLevel.HIGH),
        ({}, NeedLevel.LOW),
    ],
)
def test_risk_level_half_open_intervals(pni_in, kw, level):
    assert pni.score(pni_in(**kw)).risk_level is level


def test_rsr_counts_for_men_only_without_osp_level(pni_in):
    assert pni.score(pni_in(rsr=5, osp_dc_band="LOW")).risk_level is NeedLevel.LOW
    assert pni.score(pni_in(rsr=5, osp_dc_band="NOT_APPLICABLE")).risk_level is NeedLevel.HIGH
    assert pni.score(pni_in(rsr=5)).risk_level is NeedLevel.HIGH
    assert pni.score(pni_in(sex="F", rsr=5, osp_dc_band="LOW")).risk_level is NeedLevel.HIGH
    # OSP bands count for men only
    assert pni.score(pni_in(sex="F", osp_dc_band="HIGH")).risk_level is NeedLevel.LOW


HIGH_NEED = {
    "oasys_11_12": 2,
    "oasys_12_1": 2,
    "oasys_6_1": 2,
    "oasys_6_6": 2,
    "oasys_7_3": 1,
    "oasys_11_2": 2,
}
MEDIUM_NEED = {"oasys_11_12": 2, "oasys_12_1": 1}


@pytest.mark.parametrize(
    ("need", "risk", "pathway"),
    [
        (HIGH_NEED, {"ogrs3": 80}, Pathway.HIGH_INTENSITY),
        (HIGH_NEED, {"ogrs3": 60}, Pathway.MODERATE_INTENSITY),
        (HIGH_NEED, {}, Pathway.ALTERNATIVE_PATHWAY),
        (MEDIUM_NEED, {"ovp": 65}, Pathway.MODERATE_INTENSITY),
        (MEDIUM_NEED, {"ovp": 35}, Pathway.MODERATE_INTENSITY),
        (MEDIUM_NEED, {"ovp": 29.99}, Pathway.ALTERNATIVE_PATHWAY),
        ({}, {"ogrs3": 74.99, "ovp": 80}, Pathway.ALTERNATIVE_PATHWAY),
    ],
)
def test_need_risk_matrix(pni_in, need, risk, pathway):
    assert pni.score(pni_in(**need, **risk)).pathway is pathway


def test_high_intensity_override(pni_in):
    # domain.md: OGRS3 75 with OVP 60 -> high intensity, whatever the need
    assert pni.score(pni_in(ogrs3=75, ovp=60)).pathway is Pathway.HIGH_INTENSITY
    assert pni.score(pni_in(ogrs3=75, sara_others="HIGH")).pathway is Pathway.HIGH_INTENSITY
    assert pni.score(pni_in(ogrs3=74.99, ovp=60)).pathway is Pathway.ALTERNATIVE_PATHWAY
    assert pni.score(pni_in(ogrs3=75, ovp=59.99)).pathway is Pathway.ALTERNATIVE_PATHWAY
    assert pni.score(pni_in(ogrs3=75, ovp=60, oasys_12_1=None)).pathway is Pathway.HIGH_INTENSITY


@pytest.mark.parametrize(
    ("sara", "pathway"),
    [
        ("HIGH", Pathway.MODERATE_INTENSITY),
        ("MEDIUM", Pathway.MODERATE_INTENSITY),
        ("LOW", Pathway.ALTERNATIVE_PATHWAY),
    ],
)
def test_low_need_with_sara(pni_in, sara, pathway):
    assert pni.score(pni_in(sara_partner=sara)).pathway is pathway


def test_to_dict_shape(pni_in):
    d = pni.score(pni_in(ogrs3=75, ovp=60)).to_dict()
    assert d == {
        "need": {
            "sex": 0,
            "thinking": 0,
            "relationships": 0,
            "self_management": 0,
            "overall": 0,
            "level": "LOW",
        },
        "risk_level": "HIGH",
        "pathway": "HIGH_INTENSITY",
    }
