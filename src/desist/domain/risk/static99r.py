"""Static-99R: total score (-3..12) and 2016 risk level, item by item.

Item points and level cut-offs come from ``data/risk/static99r.yaml`` (items verified, points unverified).
Static-99R is for adult men: the age at release starts at 18 and a record with sex F is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import model_validator

from desist.domain.risk.base import AdultAge, Count, FieldError, RecordModel, Sex
from desist.domain.risk.tables import cuts, load_table

#: yes/no items scoring their table's `points` when true
FLAG_ITEMS = (
    "index_nonsexual_violence",
    "prior_nonsexual_violence",
    "noncontact_sex_conviction",
    "unrelated_victim",
    "stranger_victim",
    "male_victim",
)


class Static99RInput(RecordModel):
    """One man's Static-99R items (field names as in issue 2, item 5)."""

    sex: Sex | None = None
    age_at_release: AdultAge
    lived_with_partner_2y: bool
    index_nonsexual_violence: bool
    prior_nonsexual_violence: bool
    prior_sex_charges: Count
    prior_sex_convictions: Count
    prior_sentencing_dates: Count
    noncontact_sex_conviction: bool
    unrelated_victim: bool
    stranger_victim: bool
    male_victim: bool

    @model_validator(mode="after")
    def _men_only(self) -> Static99RInput:
        if self.sex == "F":
            raise FieldError("sex", "F", "'F' is not scored, expected M (Static-99R is normed on adult men)")
        return self


@dataclass(frozen=True)
class Static99RResult:
    """Static-99R total, 2016 level word (I, II, III, IVa, IVb), its description and the item points."""

    total: int
    level: str
    description: str
    items: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "level": self.level, "items": dict(self.items)}


def items(inp: Static99RInput) -> dict[str, int]:
    """Item-by-item Static-99R points (prior sex offences scores the higher of charges and convictions)."""
    t = load_table("static99r")["items"]
    out = {
        "age_at_release": int(cuts(t["age_at_release"]).lookup(inp.age_at_release)),
        "lived_with_partner_2y": 0
        if inp.lived_with_partner_2y
        else int(t["lived_with_partner_2y"]["points_if_false"]),
    }
    for name in FLAG_ITEMS[:2]:
        out[name] = int(t[name]["points"]) if getattr(inp, name) else 0
    out["prior_sex_offences"] = max(
        int(cuts(t["prior_sex_charges"]).lookup(inp.prior_sex_charges)),
        int(cuts(t["prior_sex_convictions"]).lookup(inp.prior_sex_convictions)),
    )
    out["prior_sentencing_dates"] = int(cuts(t["prior_sentencing_dates"]).lookup(inp.prior_sentencing_dates))
    for name in FLAG_ITEMS[2:]:
        out[name] = int(t[name]["points"]) if getattr(inp, name) else 0
    return out


def level(total: int) -> tuple[str, str]:
    """2016 risk level word and description for a total."""
    t = load_table("static99r")["levels"]
    i = cuts(t, "labels").index(total)
    return t["labels"][i], t["descriptions"][i]


def score(inp: Static99RInput) -> Static99RResult:
    """Score Static-99R.

    Examples
    --------
    >>> r = score(Static99RInput(age_at_release=30, lived_with_partner_2y=False,
    ...     index_nonsexual_violence=False,
    ...     prior_nonsexual_violence=False, prior_sex_charges=2, prior_sex_convictions=1,
    ...     prior_sentencing_dates=4,
    ...     noncontact_sex_conviction=False, unrelated_victim=True, stranger_victim=False, male_victim=False))
    >>> r.total, r.level
    (5, 'IVa')
    """
    pts = items(inp)
    total = sum(pts.values())
    word, description = level(total)
    return Static99RResult(total=total, level=word, description=description, items=pts)
