"""The review loop: look at a programme again at each date, test against the design, decide, remember.

Pure: an *evaluator* (any callable ``(programme, as_of) -> Look | NoLook | None``) says what the evidence
was on a date, so the loop runs on the synthetic history directly, on the store through
``services.evaluations.evaluate_programme`` (``services.monitoring.store_evaluator``), or on anything else.
No look (None, or a ``NoLook`` with the reason and the cohort sizes), a look with too few events, or one
with no more information than the last tested look is recorded as "too little data" and spends no alpha.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from desist.domain.errors import InputError
from desist.monitoring.always_valid import AlwaysValidDesign
from desist.monitoring.group_sequential import GroupSequentialDesign
from desist.monitoring.record import Review

Z95 = 1.959963984540054  # the 97.5% normal quantile (the evaluation's intervals use the same)
MIN_EVENTS = (
    20  # fewer events than this in either group and the log hazard ratio's normal approximation is poor
)


@dataclass(frozen=True)
class Look:
    """What one evaluation found: the log hazard ratio of the programme and its standard error."""

    log_hr: float
    se: float
    treated: int
    comparison: int
    events_treated: int
    events_comparison: int
    evidence: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class NoLook:
    """An evaluation that gave no estimate on a date, and why (e.g. too few treated men yet)."""

    reason: str
    treated: int = 0
    comparison: int = 0


Evaluator = Callable[[str, dt.date], "Look | NoLook | None"]


@dataclass(frozen=True)
class Replay:
    """Reviews of one or more programmes over a series of dates, and each programme's first alert."""

    reviews: tuple[Review, ...]
    first_alerts: Mapping[str, Review | None]
    #: on synthetic data only: the TRUE hazard ratio each programme's estimates are comparable with
    #: (desist.services.monitoring.synthetic_truth)
    truth: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "reviews": [r.to_dict() for r in self.reviews],
            "first_alerts": {k: (None if v is None else v.to_dict()) for k, v in self.first_alerts.items()},
        }
        if self.truth:
            out["true_hazard_ratio"] = {k: round(v, 4) for k, v in self.truth.items()}
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in r.to_dict().items() if k != "evidence"} for r in self.reviews])


class Monitor:
    """Apply a sequential design to successive looks at a programme.

    Parameters
    ----------
    design : GroupSequentialDesign or AlwaysValidDesign
    max_information : float
        Planned maximum information (1/SE^2 of the log hazard ratio): see
        :func:`desist.monitoring.maximum_information`.
    min_events : int
        Events needed in each group before a look is tested.
    """

    def __init__(
        self,
        design: GroupSequentialDesign | AlwaysValidDesign,
        max_information: float,
        min_events: int = MIN_EVENTS,
    ) -> None:
        if not math.isfinite(max_information) or max_information <= 0:
            raise InputError(f"max_information = {max_information}: expected a number above 0")
        self.design = design
        self.max_information = float(max_information)
        self.min_events = int(min_events)

    def series(
        self, programme: str, looks: Sequence[tuple[dt.date, Look | NoLook | None]]
    ) -> tuple[Review, ...]:
        """Reviews for a programme's looks in date order."""
        tested: list[float] = []
        out: list[Review] = []
        for as_of, look in looks:
            out.append(self.review(programme, as_of, look, tested))
        return tuple(out)

    def review(
        self, programme: str, as_of: dt.date, look: Look | NoLook | None, tested: list[float]
    ) -> Review:
        """The review of one look, given the information fractions of the earlier tested looks.

        ``tested`` gains this look's fraction when the look is tested. No look (None, or a
        :class:`NoLook` with its reason and cohort sizes) is "too little data".
        """
        method = self.design.method
        if look is None or isinstance(look, NoLook):
            counts = (0, 0) if look is None else (look.treated, look.comparison)
            evidence = {} if look is None else {"reason": look.reason}
            return Review(
                programme,
                as_of,
                method,
                *counts,
                0,
                None,
                None,
                None,
                None,
                None,
                None,
                "too little data",
                evidence,
            )
        events = look.events_treated + look.events_comparison
        hr = math.exp(look.log_hr)
        ci = (math.exp(look.log_hr - Z95 * look.se), math.exp(look.log_hr + Z95 * look.se))
        info = 1.0 / look.se**2
        fraction = info / self.max_information
        z = look.log_hr / look.se
        base = dict(
            programme=programme,
            as_of=as_of,
            method=method,
            treated=look.treated,
            comparison=look.comparison,
            events=events,
            estimate=hr,
            ci=ci,
            z=z,
            information=info,
            information_fraction=fraction,
            evidence=dict(look.evidence),
        )
        enough = min(look.events_treated, look.events_comparison) >= self.min_events
        if not enough or (tested and fraction <= tested[-1]):
            return Review(boundary=None, decision="too little data", **base)  # type: ignore[arg-type]
        tested.append(fraction)
        boundary = self.design.boundaries(tested).z[-1]
        decision = "continue"
        if z >= boundary:
            decision = "harm"
        elif self.design.sided == 2 and z <= -boundary:
            decision = "benefit"
        return Review(boundary=boundary, decision=decision, **base)  # type: ignore[arg-type]


def quarter_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of every calendar quarter from ``start`` to ``end`` (both included when quarter ends)."""
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    periods = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="Q")
    days = [p.end_time.date() for p in periods]
    return [d for d in days if start <= d <= end]


def replay(
    evaluator: Evaluator,
    programmes: Iterable[str],
    dates: Sequence[dt.date],
    monitor: Monitor,
    *,
    detail: Evaluator | None = None,
) -> Replay:
    """Review every programme at every date: "when would we have known?".

    ``detail``, when given, is a slower evaluator called only for each programme's first alert, to add
    evidence (e.g. the subgroup with the largest effect) to it.
    """
    reviews: list[Review] = []
    first: dict[str, Review | None] = {}
    for programme in programmes:
        series = list(monitor.series(programme, [(d, evaluator(programme, d)) for d in dates]))
        index = next((i for i, r in enumerate(series) if r.decision == "harm"), None)
        if index is not None and detail is not None:
            look = detail(programme, series[index].as_of)
            if isinstance(look, Look):
                series[index] = replace(series[index], evidence={**series[index].evidence, **look.evidence})
        reviews.extend(series)
        first[programme] = None if index is None else series[index]
    return Replay(tuple(reviews), first)
