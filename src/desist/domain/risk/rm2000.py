"""Risk Matrix 2000: /S (sexual), /V (non-sexual violence) and /C (combined), item by item.

Structure from domain.md section 4 [V]; the point tables and category cut-offs in ``data/risk/rm2000.yaml``
are unverified and flagged so. /S step 1 sums age, sexual and criminal appearances into a category; step 2
raises it one category for 2-3 aggravating factors and two for 4 (capped at VERY_HIGH). /C turns the /S and /V
categories into points (LOW 1 .. VERY_HIGH 4), sums them and bands the sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field

from desist.domain.risk.bands import Band, shift_band
from desist.domain.risk.base import AdultAge, Count, RecordModel, Sex
from desist.domain.risk.tables import cuts, load_table


class Rm2000Input(RecordModel):
    """One man's RM2000 items (field names as in issue 2, item 5)."""

    sex: Sex | None = None
    age_at_commencement_of_risk: AdultAge
    sexual_appearances: Annotated[int, Field(ge=1, le=500)]  # includes the index appearance
    criminal_appearances: Count
    male_victim: bool
    stranger_victim: bool
    never_married: bool
    noncontact_sexual_offence: bool
    violent_appearances: Count
    burglary: bool


@dataclass(frozen=True)
class Rm2000Scale:
    """One RM2000 scale: points (None for /C's points when not needed), category and item breakdown."""

    points: int | None
    category: Band
    items: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "category": str(self.category), "items": dict(self.items)}


@dataclass(frozen=True)
class Rm2000Result:
    s: Rm2000Scale
    v: Rm2000Scale
    c: Rm2000Scale

    def to_dict(self) -> dict[str, Any]:
        return {"s": self.s.to_dict(), "v": self.v.to_dict(), "c": self.c.to_dict()}


def score_s(inp: Rm2000Input) -> Rm2000Scale:
    """RM2000/S: step 1 points and category, step 2 aggravating factors."""
    t = load_table("rm2000")["s"]
    items = {
        name: int(cuts(t[name]).lookup(getattr(inp, name)))
        for name in ("age_at_commencement_of_risk", "sexual_appearances", "criminal_appearances")
    }
    points = sum(items.values())
    step1 = Band(cuts(t["step1_categories"], "labels").lookup(points))
    factors = sum(bool(getattr(inp, name)) for name in t["aggravating_factors"])
    raise_by = int(cuts(t["step2_raise"], "steps").lookup(factors))
    items["aggravating_factors"] = factors
    items["step2_raise"] = raise_by
    return Rm2000Scale(points=points, category=shift_band(step1, raise_by), items=items)


def score_v(inp: Rm2000Input) -> Rm2000Scale:
    """RM2000/V: age, violent appearances and burglary."""
    t = load_table("rm2000")["v"]
    items = {
        "age_at_commencement_of_risk": int(
            cuts(t["age_at_commencement_of_risk"]).lookup(inp.age_at_commencement_of_risk)
        ),
        "violent_appearances": int(cuts(t["violent_appearances"]).lookup(inp.violent_appearances)),
        "burglary": int(t["burglary"]["points"]) if inp.burglary else 0,
    }
    points = sum(items.values())
    return Rm2000Scale(
        points=points, category=Band(cuts(t["categories"], "labels").lookup(points)), items=items
    )


def combine(s: Band, v: Band) -> Rm2000Scale:
    """RM2000/C from the /S and /V categories."""
    t = load_table("rm2000")["c"]
    items = {"s": int(t["category_points"][str(s)]), "v": int(t["category_points"][str(v)])}
    points = items["s"] + items["v"]
    return Rm2000Scale(
        points=points, category=Band(cuts(t["categories"], "labels").lookup(points)), items=items
    )


def score(inp: Rm2000Input) -> Rm2000Result:
    """Score RM2000/S, /V and /C.

    Examples
    --------
    >>> r = score(Rm2000Input(age_at_commencement_of_risk=22, sexual_appearances=2, criminal_appearances=6,
    ...     male_victim=True, stranger_victim=True, never_married=True, noncontact_sexual_offence=False,
    ...     violent_appearances=1, burglary=False))
    >>> r.s.points, r.s.category.value, r.v.points, r.v.category.value, r.c.category.value
    (4, 'VERY_HIGH', 4, 'HIGH', 'HIGH')
    """
    s = score_s(inp)
    v = score_v(inp)
    return Rm2000Result(s=s, v=v, c=combine(s.category, v.category))
