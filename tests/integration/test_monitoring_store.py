"""Stored monitoring reviews and alerts on SQLite and PostgreSQL: append-only, audited, idempotent, acked."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select

from desist.adapters.orm import AuditLog, MonitoringAlert, MonitoringReview
from desist.domain.errors import Conflict, InputError, NotFound
from desist.monitoring import GroupSequentialDesign
from desist.monitoring.review import Look, Monitor, quarter_ends
from desist.services.monitoring import acknowledge, run_reviews, status
from tests.principals import analyst


def _evaluator(programme: str, as_of: dt.date) -> Look | None:
    year = as_of.year - 2000
    if year < 3:
        return None
    info = 20.0 * year
    drift = 0.45 if programme == "SOTP-CORE" else 0.0
    return Look(drift, 1 / math.sqrt(info), 100 * year, 500 * year, 10 * year, 40 * year,
                {"worst_balance": {"covariate": "age_at_release", "smd": 0.04}})


def test_reviews_alerts_status_and_ack(uow_factory) -> None:
    monitor = Monitor(GroupSequentialDesign(), 219.0)
    make = lambda: uow_factory(analyst())  # noqa: E731
    dates = [d for d in quarter_ends(dt.date(2000, 1, 1), dt.date(2012, 12, 31)) if d.month == 12]
    stored = []
    for day in dates:
        stored += run_reviews(make, _evaluator, ["SOTP-CORE", "KAIZEN"], day, monitor, source="test")
    assert all(r["stored"] for r in stored)
    again = run_reviews(make, _evaluator, ["SOTP-CORE", "KAIZEN"], dates[5], monitor, source="test")
    assert [r["stored"] for r in again] == [False, False]  # idempotent per date
    assert [r["id"] for r in again] == [r["id"] for r in stored if r["as_of"] == dates[5].isoformat()]

    # the stored boundaries are the design's at the stored looks' information fractions
    core = [r for r in stored if r["programme"] == "SOTP-CORE" and r["decision"] != "too little data"]
    expected = GroupSequentialDesign().boundaries([r["information_fraction"] for r in core]).z
    for r, z in zip(core, expected, strict=True):
        assert (r["boundary"] is None and z == math.inf) or r["boundary"] == pytest.approx(z)
    assert any(r["decision"] == "harm" for r in core)

    state = status(make)
    latest = {r["programme"]: r for r in state["programmes"]}
    assert latest["SOTP-CORE"]["as_of"] == "2012-12-31" and latest["KAIZEN"]["decision"] == "continue"
    alerts = state["open_alerts"]
    assert alerts and {a["programme"] for a in alerts} == {"SOTP-CORE"}
    first = alerts[0]
    assert first["evidence"]["z"] >= first["evidence"]["boundary"]
    assert first["evidence"]["worst_balance"]["covariate"] == "age_at_release"

    with pytest.raises(InputError, match="--reason"):  # "lead": a treatment manager (a casework role)
        acknowledge(lambda: uow_factory("lead"), first["id"], "  ")
    done = acknowledge(lambda: uow_factory("lead"), first["id"], "referred to the programme board")
    assert done["acknowledged_by"] == "lead"
    with pytest.raises(Conflict, match="already acknowledged by lead"):
        acknowledge(lambda: uow_factory("lead"), first["id"], "again")
    with pytest.raises(NotFound):
        acknowledge(lambda: uow_factory("lead"), 99999, "x")
    assert first["id"] not in [a["id"] for a in status(make)["open_alerts"]]

    with uow_factory("check") as uow:
        s = uow.session
        n_reviews = s.scalar(select(func.count()).select_from(MonitoringReview))
        assert n_reviews == len(stored)
        assert s.scalar(select(func.count()).select_from(MonitoringAlert)) == len(alerts)
        audited = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity == "monitoring_review")
        )
        assert audited == n_reviews
        acked = s.scalar(
            select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == "monitoring_alert", AuditLog.actor == "lead"
            )
        )
        assert acked == 1


def test_a_look_stored_meanwhile_by_another_run_is_read_back(uow_factory) -> None:
    """Two runs of the same date at once: the second to commit returns the first's review, no error."""
    monitor = Monitor(GroupSequentialDesign(), 219.0)
    make = lambda: uow_factory(analyst())  # noqa: E731
    day = dt.date(2008, 12, 31)
    other: list[dict[str, object]] = []

    def racing(programme: str, as_of: dt.date) -> Look | None:
        # while this run evaluates, another run of the same date stores its review first
        other.extend(run_reviews(make, _evaluator, [programme], as_of, monitor, source="test"))
        return _evaluator(programme, as_of)

    mine = run_reviews(make, racing, ["SOTP-CORE"], day, monitor, source="test")
    assert [r["stored"] for r in other] == [True]
    assert [r["stored"] for r in mine] == [False]
    assert mine[0]["id"] == other[0]["id"] and mine[0]["estimate"] == other[0]["estimate"]
    with uow_factory("check") as uow:
        assert uow.session.scalar(select(func.count()).select_from(MonitoringReview)) == 1
