"""Hypothesis properties: more sanctions never lower OSP points; every total stays in its range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desist.domain.risk import osp, pni, rm2000, static99r
from desist.domain.risk.bands import Band, NeedLevel, Pathway
from desist.domain.risk.pni import OASYS_ITEMS

SANCTIONS = (
    "contact_adult_sanctions",
    "contact_child_sanctions",
    "paraphilia_sanctions",
    "indecent_image_sanctions",
)


@st.composite
def osp_inputs(draw):
    age = draw(st.integers(10, 110))
    counts = {f: draw(st.integers(0, 8)) for f in SANCTIONS}
    total = max(counts.values()) + draw(st.integers(0, 10))
    last = draw(st.integers(10, age)) if any(counts.values()) else draw(st.none() | st.integers(10, age))
    return osp.OspInput(
        id="H",
        sex=draw(st.sampled_from(["M", "M", "M", "F"])),
        age=age,
        **counts,
        total_sanctions=total,
        age_at_last_sexual_offence=last,
        stranger_victim=draw(st.booleans()),
        in_custody=draw(st.booleans()),
        years_since_community_date=draw(st.none() | st.floats(0, 30)),
        offence_in_last_5_years=draw(st.booleans()),
        sexual_offence_in_last_5_years=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(osp_inputs(), st.sampled_from([*SANCTIONS, "total_sanctions"]), st.integers(1, 5))
def test_more_sanctions_never_lower_osp_points(inp, field, extra):
    before = osp.score(inp)
    update = {field: getattr(inp, field) + extra}
    if field != "total_sanctions":
        update["total_sanctions"] = inp.total_sanctions + extra
    if inp.age_at_last_sexual_offence is None:
        update["age_at_last_sexual_offence"] = inp.age
    after = osp.score(osp.OspInput.model_validate({**inp.model_dump(), **update}))
    if before.dc.points is not None:
        assert after.dc.points is not None and after.dc.points >= before.dc.points
        assert after.dc.probability >= before.dc.probability
    order = [Band.NOT_APPLICABLE, Band.LOW, Band.MEDIUM, Band.HIGH, Band.VERY_HIGH]
    if inp.sex == "M" and field in ("indecent_image_sanctions", "contact_child_sanctions"):
        assert order.index(after.iic.band) >= order.index(before.iic.band)


@settings(max_examples=300, deadline=None)
@given(osp_inputs())
def test_osp_points_and_probability_in_range(inp):
    r = osp.score(inp)
    if r.dc.points is not None:
        # 15 + 9 + 6 + 14 + 10 + 6 + 4 = 64 at most
        assert 0 <= r.dc.points <= 64
        assert sum(r.dc.items.values()) == r.dc.points
        assert 0 < r.dc.probability < 1
    assert r.iic.probability is None or 0 < r.iic.probability < 1


flags = st.booleans()


@settings(max_examples=300, deadline=None)
@given(
    st.floats(18, 110),
    flags,
    flags,
    flags,
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    flags,
    flags,
    flags,
    flags,
)
def test_static99r_total_in_range(age, lived, inv, pnv, ch, cv, sd, nc, unr, stra, male):
    r = static99r.score(
        static99r.Static99RInput(
            age_at_release=age,
            lived_with_partner_2y=lived,
            index_nonsexual_violence=inv,
            prior_nonsexual_violence=pnv,
            prior_sex_charges=ch,
            prior_sex_convictions=cv,
            prior_sentencing_dates=sd,
            noncontact_sex_conviction=nc,
            unrelated_victim=unr,
            stranger_victim=stra,
            male_victim=male,
        )
    )
    assert -3 <= r.total <= 12
    assert r.total == sum(r.items.values())
    assert r.level in {"I", "II", "III", "IVa", "IVb"}


@settings(max_examples=300, deadline=None)
@given(
    st.floats(18, 110),
    st.integers(1, 40),
    st.integers(0, 60),
    st.integers(0, 40),
    flags,
    flags,
    flags,
    flags,
    flags,
)
def test_rm2000_totals_in_range(age, sexual, criminal, violent, male, stranger, never, noncontact, burglary):
    r = rm2000.score(
        rm2000.Rm2000Input(
            age_at_commencement_of_risk=age,
            sexual_appearances=sexual,
            criminal_appearances=criminal,
            violent_appearances=violent,
            male_victim=male,
            stranger_victim=stranger,
            never_married=never,
            noncontact_sexual_offence=noncontact,
            burglary=burglary,
        )
    )
    assert 0 <= r.s.points <= 6 and 0 <= r.v.points <= 8 and 2 <= r.c.points <= 8
    assert Band.NOT_APPLICABLE not in (r.s.category, r.v.category, r.c.category)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries({i: st.integers(0, 2) for i in OASYS_ITEMS}),
    st.none() | st.floats(0, 100),
    st.none() | st.floats(0, 100),
    st.none() | st.floats(0, 100),
    st.none() | st.sampled_from(list(Band)),
    st.none() | st.sampled_from(list(NeedLevel)),
)
def test_pni_in_range_and_monotone_in_need(items, ogrs3, ovp, rsr, band, sara):
    inp = pni.PniInput(sex="M", ogrs3=ogrs3, ovp=ovp, rsr=rsr, osp_dc_band=band, sara_partner=sara, **items)
    r = pni.score(inp)
    assert 0 <= r.need.overall <= 8
    assert all(0 <= getattr(r.need, d) <= 2 for d in ("sex", "thinking", "relationships", "self_management"))
    assert r.pathway is not Pathway.MISSING_INFORMATION
    # raising any one answer never lowers the overall need
    for item in OASYS_ITEMS:
        if items[item] < 2:
            higher = pni.score(inp.model_copy(update={item: items[item] + 1}))
            assert higher.need.overall >= r.need.overall
