"""The queries the monitoring service needs: stored reviews and alerts, and which programmes the store's
programme history holds (every query lives in adapters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desist.adapters.orm import MonitoringAlert, MonitoringReview, ProgrammeHistory


class MonitoringStore:
    """Reviews and alerts on the unit of work's session (``uow.monitoring``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def review_on(self, programme: str, as_of: dt.date, method: str) -> MonitoringReview | None:
        """The review of ``programme`` on ``as_of`` by ``method``, if one is stored."""
        return self.session.scalars(
            select(MonitoringReview).where(
                MonitoringReview.programme_code == programme,
                MonitoringReview.as_of == as_of,
                MonitoringReview.method == method,
            )
        ).first()

    def earlier_reviews(self, programme: str, as_of: dt.date, method: str) -> list[MonitoringReview]:
        """The programme's reviews by ``method`` before ``as_of``, oldest first."""
        return list(
            self.session.scalars(
                select(MonitoringReview)
                .where(
                    MonitoringReview.programme_code == programme,
                    MonitoringReview.as_of < as_of,
                    MonitoringReview.method == method,
                )
                .order_by(MonitoringReview.as_of)
            ).all()
        )

    def reviews_in_order(self) -> list[MonitoringReview]:
        """Every review, by date then id."""
        return list(
            self.session.scalars(
                select(MonitoringReview).order_by(MonitoringReview.as_of, MonitoringReview.id)
            )
        )

    def open_alerts(self) -> list[MonitoringAlert]:
        """Alerts not yet acknowledged, oldest first."""
        return list(
            self.session.scalars(
                select(MonitoringAlert)
                .where(MonitoringAlert.acknowledged_at.is_(None))
                .order_by(MonitoringAlert.id)
            )
        )

    def programmes_in_history(self) -> list[str]:
        """The programme codes anyone in the store has started, sorted."""
        codes = self.session.scalars(select(ProgrammeHistory.programme_code).distinct())
        return sorted(str(c) for c in codes)

    def alert(self, alert_id: int) -> MonitoringAlert | None:
        return self.session.get(MonitoringAlert, alert_id)

    def add(self, row: Any) -> Any:
        """Store a new review or alert now (its id is assigned)."""
        self.session.add(row)
        self.session.flush()
        return row
