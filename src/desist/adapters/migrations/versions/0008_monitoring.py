"""monitoring_review and monitoring_alert: sequential reviews of programmes and the alerts they raise.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A review is written once per programme, date and method (re-running the same date finds it and writes
nothing); an alert belongs to one review and is acknowledged once, with a reason. Every write is audited
by the unit of work like any other row.
"""

from __future__ import annotations

from desist.adapters.migrations._shapes import (
    TableShape,
    create_tables,
    date,
    drop_tables,
    integer,
    json_column,
    number,
    string,
    timestamp,
)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: the estimate and the figures of the boundary test (each may be NULL)
ESTIMATES = ("estimate", "ci_low", "ci_high", "z", "information", "information_fraction", "boundary")


def _tables() -> list[TableShape]:
    return [
        TableShape(
            "monitoring_review",
            (
                string("programme_code", 20), date("as_of"), string("method", 20), json_column("design"),
                string("source", 200), integer("treated"), integer("comparison"), integer("events"),
                *(number(name, nullable=True) for name in ESTIMATES),
                string("decision", 20), json_column("evidence"), timestamp("created_at"),
            ),
            checks={"decision": "decision IN ('continue', 'harm', 'benefit', 'too little data')"},
            unique=(("programme_code", "as_of", "method"),),
            indexed=("programme_code",),
        ),
        TableShape(
            "monitoring_alert",
            (
                integer("review_id"), string("programme_code", 20), date("as_of"), string("direction", 10),
                json_column("evidence"), timestamp("acknowledged_at", nullable=True),
                string("acknowledged_by", 100, nullable=True), string("ack_reason", 2000, nullable=True),
            ),
            checks={"direction": "direction IN ('harm', 'benefit')"},
            references={"review_id": "monitoring_review"},
            unique=(("review_id",),),
            indexed=("programme_code",),
        ),
    ]


def upgrade() -> None:
    create_tables(_tables())


def downgrade() -> None:
    drop_tables(_tables())
