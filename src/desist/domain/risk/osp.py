"""OSP: the OASys Sexual reoffending Predictor — OSP/DC (contact) and OSP/IIC (indecent images).

Pure functions of an :class:`OspInput`; every point, cut-off and probability comes from
``data/risk/osp.yaml``. OSP is scored for men only: for a woman both scales are NOT_APPLICABLE. A man with no
sexual sanctions at all is NOT_APPLICABLE on both (the IIC rule says so explicitly; the DC scale likewise
assumes a sexual offence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, model_validator

from desist.domain.risk.bands import Band, shift_band
from desist.domain.risk.base import Age, Count, FieldError, RecordModel, Sex
from desist.domain.risk.tables import cuts, load_table

DC_COUNT_ITEMS = ("contact_adult_sanctions", "contact_child_sanctions", "paraphilia_sanctions")
SEXUAL_SANCTION_FIELDS = (*DC_COUNT_ITEMS, "indecent_image_sanctions")


class OspInput(RecordModel):
    """One man's OSP inputs (field names as in issue 2, item 5)."""

    sex: Sex
    age: Age
    contact_adult_sanctions: Count
    contact_child_sanctions: Count
    paraphilia_sanctions: Count
    indecent_image_sanctions: Count
    total_sanctions: Count
    age_at_last_sexual_offence: Age | None = None
    stranger_victim: bool
    in_custody: bool
    years_since_community_date: Annotated[float | None, Field(ge=0, le=100)] = None
    offence_in_last_5_years: bool
    sexual_offence_in_last_5_years: bool

    @model_validator(mode="after")
    def _consistent(self) -> OspInput:
        most = max(getattr(self, f) for f in SEXUAL_SANCTION_FIELDS)
        if self.total_sanctions < most:
            raise FieldError(
                "total_sanctions",
                self.total_sanctions,
                f"{self.total_sanctions} is less than a sexual sanction count ({most}), "
                f"expected total_sanctions >= each sanction count",
            )
        if most > 0 and self.age_at_last_sexual_offence is None:
            raise FieldError(
                "age_at_last_sexual_offence",
                None,
                "missing, expected an age 10 to 110 when there are sexual sanctions",
            )
        if self.age_at_last_sexual_offence is not None and self.age_at_last_sexual_offence > self.age:
            raise FieldError(
                "age_at_last_sexual_offence",
                self.age_at_last_sexual_offence,
                f"{self.age_at_last_sexual_offence} is above the current age {self.age}, "
                f"expected at most {self.age}",
            )
        return self

    @property
    def sexual_sanctions(self) -> int:
        return sum(getattr(self, f) for f in SEXUAL_SANCTION_FIELDS)


@dataclass(frozen=True)
class OspDcResult:
    """OSP/DC: points (None when not applicable), band, probability of contact sexual reoffending, items."""

    points: int | None
    band: Band
    probability: float | None
    items: dict[str, int] = field(default_factory=dict)
    community_drop: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "band": str(self.band), "probability": self.probability}


@dataclass(frozen=True)
class OspIicResult:
    """OSP/IIC: band and probability of indecent-image reoffending (None when not applicable)."""

    band: Band
    probability: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"band": str(self.band), "probability": self.probability}


@dataclass(frozen=True)
class OspResult:
    dc: OspDcResult
    iic: OspIicResult

    def to_dict(self) -> dict[str, Any]:
        return {"osp_dc": self.dc.to_dict(), "osp_iic": self.iic.to_dict()}


def current_age_points(age: float) -> int:
    """Points for current age: under 18 -> 14, 60 and over -> 0, else ceil((60 - age) / 3) (from the
    table)."""
    t = load_table("osp")["dc"]["current_age"]
    if age < t["under_age"]:
        return int(t["under_points"])
    if age >= t["zero_from_age"]:
        return 0
    return int(math.ceil((t["zero_from_age"] - age) / t["step"]))


def dc_items(inp: OspInput) -> dict[str, int]:
    """Item-by-item OSP/DC points."""
    t = load_table("osp")["dc"]
    items = {name: int(cuts(t[name]).lookup(getattr(inp, name))) for name in DC_COUNT_ITEMS}
    items["current_age"] = current_age_points(inp.age)
    last = inp.age_at_last_sexual_offence
    items["age_at_last_sexual_offence"] = (
        0 if last is None else int(cuts(t["age_at_last_sexual_offence"]).lookup(last))
    )
    items["total_sanctions"] = int(cuts(t["total_sanctions"]).lookup(inp.total_sanctions))
    items["stranger_victim"] = int(t["stranger_victim"]["points"]) if inp.stranger_victim else 0
    return items


def probability(points: int) -> float:
    """Two-year probability of contact sexual reoffending: logit = intercept + slope * points."""
    p = load_table("osp")["dc"]["probability"]
    return 1.0 / (1.0 + math.exp(-(p["intercept"] + p["slope"] * points)))


def community_drop_applies(inp: OspInput) -> bool:
    """In the community, 5+ years since the community date, no offence and no sexual offence in 5 years."""
    years = load_table("osp")["dc"]["community_drop"]["min_years_since_community_date"]
    return (
        not inp.in_custody
        and inp.years_since_community_date is not None
        and inp.years_since_community_date >= years
        and not inp.offence_in_last_5_years
        and not inp.sexual_offence_in_last_5_years
    )


def score_dc(inp: OspInput) -> OspDcResult:
    """Score OSP/DC for one man."""
    if inp.sex != "M" or inp.sexual_sanctions == 0:
        return OspDcResult(points=None, band=Band.NOT_APPLICABLE, probability=None)
    items = dc_items(inp)
    points = sum(items.values())
    band = Band(cuts(load_table("osp")["dc"]["bands"], "labels").lookup(points))
    drop = community_drop_applies(inp)
    if drop:
        band = shift_band(band, -1)
    return OspDcResult(
        points=points, band=band, probability=probability(points), items=items, community_drop=drop
    )


def score_iic(inp: OspInput) -> OspIicResult:
    """Score OSP/IIC for one man: the first matching rule of the table wins."""
    if inp.sex != "M":
        return OspIicResult(band=Band.NOT_APPLICABLE, probability=None)
    for rule in load_table("osp")["iic"]["rules"]:
        when = rule["when"]
        if (
            when == "otherwise"
            or (when == "no_sexual_sanctions" and inp.sexual_sanctions == 0)
            or (when in SEXUAL_SANCTION_FIELDS and getattr(inp, when) >= rule["min"])
        ):
            return OspIicResult(band=Band(rule["band"]), probability=rule["probability"])
    raise AssertionError("osp.yaml iic rules must end with 'otherwise'")  # the data file is broken


def score(inp: OspInput) -> OspResult:
    """Score OSP/DC and OSP/IIC.

    Examples
    --------
    >>> r = score(OspInput(id="P-1", sex="M", age=30, contact_adult_sanctions=1, contact_child_sanctions=0,
    ...     paraphilia_sanctions=0, indecent_image_sanctions=0, total_sanctions=2,
    ...     age_at_last_sexual_offence=28,
    ...     stranger_victim=True, in_custody=True, offence_in_last_5_years=True,
    ...     sexual_offence_in_last_5_years=True))
    >>> r.dc.points, r.dc.band.value, r.iic.band.value
    (35, 'HIGH', 'LOW')
    """
    return OspResult(dc=score_dc(inp), iic=score_iic(inp))
