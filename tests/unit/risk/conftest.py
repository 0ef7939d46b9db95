"""Builders for risk-tool inputs: a sensible default record that each test changes one field at a time."""

from __future__ import annotations

from typing import Any

import pytest

from desist.domain.risk.osp import OspInput
from desist.domain.risk.pni import OASYS_ITEMS, PniInput
from desist.domain.risk.rm2000 import Rm2000Input
from desist.domain.risk.static99r import Static99RInput

OSP_BASE: dict[str, Any] = dict(
    id="O-1",
    sex="M",
    age=60,
    contact_adult_sanctions=0,
    contact_child_sanctions=0,
    paraphilia_sanctions=0,
    indecent_image_sanctions=1,
    total_sanctions=1,
    age_at_last_sexual_offence=15,
    stranger_victim=False,
    in_custody=True,
    years_since_community_date=None,
    offence_in_last_5_years=False,
    sexual_offence_in_last_5_years=False,
)  # scores 0 OSP/DC points: a baseline that each test raises item by item

S99_BASE: dict[str, Any] = dict(
    id="S-1",
    age_at_release=37,
    lived_with_partner_2y=True,
    index_nonsexual_violence=False,
    prior_nonsexual_violence=False,
    prior_sex_charges=0,
    prior_sex_convictions=0,
    prior_sentencing_dates=0,
    noncontact_sex_conviction=False,
    unrelated_victim=False,
    stranger_victim=False,
    male_victim=False,
)  # total 0

RM_BASE: dict[str, Any] = dict(
    id="R-1",
    age_at_commencement_of_risk=50,
    sexual_appearances=1,
    criminal_appearances=0,
    male_victim=False,
    stranger_victim=False,
    never_married=False,
    noncontact_sexual_offence=False,
    violent_appearances=0,
    burglary=False,
)  # /S 0, /V 0

PNI_BASE: dict[str, Any] = {"id": "N-1", "sex": "M", **{i: 0 for i in OASYS_ITEMS}}


def make(model, base, **changes):
    return model.model_validate({**base, **changes})


@pytest.fixture
def osp_in():
    return lambda **kw: make(OspInput, OSP_BASE, **kw)


@pytest.fixture
def s99_in():
    return lambda **kw: make(Static99RInput, S99_BASE, **kw)


@pytest.fixture
def rm_in():
    return lambda **kw: make(Rm2000Input, RM_BASE, **kw)


@pytest.fixture
def pni_in():
    return lambda **kw: make(PniInput, PNI_BASE, **kw)
