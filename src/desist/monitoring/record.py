"""A monitoring review as a plain record: what one look at a programme found on a date, and the decision;
with its vocabularies, the sequential designs (:class:`Method`) and the decisions.

Light (no pandas, NumPy or SciPy): the review loop (:mod:`desist.monitoring.review`) makes these, the store
keeps them, and the web API publishes their shape (:mod:`desist.entrypoints.web.api.schemas`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Method(StrEnum):
    """The sequential design a programme is monitored by (:func:`desist.monitoring.design.make_design`)."""

    GROUP_SEQUENTIAL = "group-sequential"
    ALWAYS_VALID = "always-valid"


DECISIONS = ("continue", "harm", "benefit", "too little data")


@dataclass(frozen=True)
class Review:
    """One review of one programme on one date, with the decision the design gives."""

    programme: str
    as_of: dt.date
    method: str
    treated: int
    comparison: int
    events: int
    estimate: float | None  # hazard ratio
    ci: tuple[float, float] | None  # 95% interval of the hazard ratio at this look
    z: float | None
    information: float | None
    information_fraction: float | None
    boundary: float | None  # harm boundary on the z scale (benefit is -boundary when two-sided)
    decision: str
    evidence: Mapping[str, object] = field(default_factory=dict)

    @property
    def alert(self) -> bool:
        return self.decision in ("harm", "benefit")

    def boundary_hr(self) -> tuple[float, float] | None:
        """The hazard ratios at which this look would have crossed (harm, benefit)."""
        if self.boundary is None or self.information is None or not math.isfinite(self.boundary):
            return None
        se = 1.0 / math.sqrt(self.information)
        return math.exp(self.boundary * se), math.exp(-self.boundary * se)

    def to_dict(self) -> dict[str, object]:
        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, 6)

        return {
            "programme": self.programme,
            "as_of": self.as_of.isoformat(),
            "method": self.method,
            "treated": self.treated,
            "comparison": self.comparison,
            "events": self.events,
            "estimate": num(self.estimate),
            "ci": None if self.ci is None else [num(self.ci[0]), num(self.ci[1])],
            "z": num(self.z),
            "information": num(self.information),
            "information_fraction": num(self.information_fraction),
            "boundary": num(self.boundary),
            "decision": self.decision,
            "evidence": dict(self.evidence),
        }
