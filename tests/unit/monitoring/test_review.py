"""The review loop on made-up looks: decisions, too-little-data, information that does not grow, JSON."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from desist.domain.errors import InputError
from desist.monitoring import AlwaysValidDesign, GroupSequentialDesign
from desist.monitoring.review import Look, Monitor, quarter_ends, replay


def _look(log_hr: float, se: float, events: int = 50) -> Look:
    return Look(
        log_hr, se, 1000, 5000, events, events * 4, {"worst_balance": {"covariate": "age", "smd": 0.05}}
    )


def test_quarter_ends() -> None:
    days = quarter_ends(dt.date(2000, 1, 1), dt.date(2017, 3, 31))
    assert days[0] == dt.date(2000, 3, 31) and days[-1] == dt.date(2017, 3, 31) and len(days) == 69
    with pytest.raises(InputError, match="before --from"):
        quarter_ends(dt.date(2001, 1, 1), dt.date(2000, 1, 1))


def test_decisions_follow_the_boundaries() -> None:
    monitor = Monitor(GroupSequentialDesign(), max_information=200.0)
    dates = quarter_ends(dt.date(2010, 1, 1), dt.date(2011, 12, 31))
    se = [1 / math.sqrt(i) for i in (20, 40, 60, 80, 100, 120, 140, 160)]
    looks = [
        None,
        _look(0.1, se[1], events=5),
        _look(0.1, se[2]),
        _look(0.05, se[2]),
        _look(0.5, se[4]),
        _look(-0.6, se[5]),
        _look(0.3, se[6]),
        _look(0.3, se[7]),
    ]
    reviews = monitor.series("X", list(zip(dates, looks, strict=True)))
    decisions = [r.decision for r in reviews]
    # no evaluation, too few events, first tested look, information not above the last tested, ...
    assert decisions[:4] == ["too little data", "too little data", "continue", "too little data"]
    b = GroupSequentialDesign().boundaries([60 / 200, 100 / 200, 120 / 200]).z
    assert reviews[4].boundary == pytest.approx(b[1]) and reviews[5].boundary == pytest.approx(b[2])
    assert decisions[4] == ("harm" if b[1] <= 0.5 * 10 else "continue")
    assert decisions[5] == ("benefit" if -0.6 * math.sqrt(120) <= -b[2] else "continue")
    assert reviews[2].ci == pytest.approx(
        (math.exp(0.1 - 1.959964 * se[2]), math.exp(0.1 + 1.959964 * se[2]))
    )
    assert reviews[2].information_fraction == pytest.approx(60 / 200)


def test_replay_first_alert_and_json() -> None:
    def evaluator(programme: str, as_of: dt.date) -> Look | None:
        year = as_of.year - 2000
        if year < 2:
            return None
        info = 15.0 * year
        drift = 0.4 if programme == "HARM" else 0.0
        return _look(drift, 1 / math.sqrt(info))

    dates = quarter_ends(dt.date(2000, 1, 1), dt.date(2017, 3, 31))
    out = replay(
        evaluator,
        ["HARM", "NULL"],
        dates,
        Monitor(AlwaysValidDesign(), 200.0),
        detail=lambda p, d: Look(0, 1, 0, 0, 0, 0, {"largest_subgroup_effect": "high"}),
    )
    first = out.first_alerts["HARM"]
    assert first is not None and first.decision == "harm"
    assert first.evidence["largest_subgroup_effect"] == "high"
    assert out.first_alerts["NULL"] is None
    doc = json.loads(json.dumps(out.to_dict()))
    assert set(doc) == {"reviews", "first_alerts"}
    row = doc["reviews"][20]
    assert {
        "programme",
        "as_of",
        "estimate",
        "ci",
        "z",
        "information_fraction",
        "boundary",
        "decision",
    } <= set(row)
    assert len(out.to_frame()) == 2 * len(dates)


def test_monitor_refuses_bad_maximum() -> None:
    with pytest.raises(InputError, match="max_information"):
        Monitor(GroupSequentialDesign(), 0)


def test_chart_draws_on_the_callers_axes_without_touching_the_backend() -> None:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from desist.monitoring.chart import CORE_SOTP_MILESTONES, monitoring_chart

    backend = matplotlib.get_backend()
    dates = quarter_ends(dt.date(2005, 1, 1), dt.date(2017, 12, 31))
    looks = [_look(0.3, 1 / math.sqrt(5 + 4 * i)) for i in range(len(dates))]
    pairs = list(zip(dates, looks, strict=True))
    reviews = Monitor(GroupSequentialDesign(), 200.0).series("SOTP-CORE", pairs)
    assert any(r.alert for r in reviews)
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    assert monitoring_chart(reviews, ax=ax, milestones=CORE_SOTP_MILESTONES) is fig
    labels = ax.get_legend_handles_labels()[1]
    assert {"harm boundary", "benefit boundary", "alert", "hazard ratio (estimate)"} <= set(labels)
    assert any("first alert" in t.get_text() for t in ax.texts)
    assert matplotlib.get_backend() == backend
    new = monitoring_chart(reviews, truth=1.35)
    assert new is not fig and len(new.axes) == 1
    (truth,) = [line for line in new.axes[0].lines if line.get_label() == "synthetic truth 1.35"]
    assert list(truth.get_ydata()) == [1.35, 1.35]


def test_result_look_reads_an_evaluation_result() -> None:
    from desist.monitoring.looks import result_look

    z = 1.959963984540054
    se = 0.2
    result = {
        "n": {"treated": 300, "control": 900, "treated_matched": 280, "control_matched": 280},
        "survival": {"hazard_ratio": 1.4, "ci": [1.4 * math.exp(-z * se), 1.4 * math.exp(z * se)],
                     "events": {"treated": 40, "control": 30}},
        "balance": [{"covariate": "age", "smd_after": 0.02}, {"covariate": "points", "smd_after": -0.12},
                    {"covariate": "x", "smd_after": None}],
        "subgroups": {"column": "risk_band", "groups": [
            {"level": "medium", "estimate": 0.01, "ci_low": -0.02, "ci_high": 0.04, "skipped": None,
             "n_treated": 100, "n_control": 100},
            {"level": "high", "estimate": 0.05, "ci_low": 0.0, "ci_high": 0.1, "skipped": None,
             "n_treated": 180, "n_control": 180},
            {"level": "low", "estimate": None, "skipped": "too few", "n_treated": 3, "n_control": 3}]},
    }
    look = result_look(result, evaluation_run=7)
    assert look is not None
    assert look.log_hr == pytest.approx(math.log(1.4)) and look.se == pytest.approx(se)
    assert (look.treated, look.comparison, look.events_treated, look.events_comparison) == (300, 900, 40, 30)
    assert look.evidence["worst_balance"] == {"covariate": "points", "smd": 0.12, "after": "matching"}
    assert look.evidence["largest_subgroup_effect"]["subgroup"] == "risk_band = high"
    assert look.evidence["matched"] == {"treated": 280, "comparison": 280}
    assert look.evidence["evaluation_run"] == 7
    assert result_look({**result, "survival": None}) is None
