"""monitoring_review and monitoring_alert: sequential reviews of programmes and the alerts they raise.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A review is written once per programme, date and method (re-running the same date finds it and writes
nothing); an alert belongs to one review and is acknowledged once, with a reason. Every write is audited
by the unit of work like any other row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "monitoring_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("design", JSON, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("treated", sa.Integer(), nullable=False),
        sa.Column("comparison", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
        sa.Column("information", sa.Float(), nullable=True),
        sa.Column("information_fraction", sa.Float(), nullable=True),
        sa.Column("boundary", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('continue', 'harm', 'benefit', 'too little data')",
            name=op.f("ck_monitoring_review_decision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_review")),
        sa.UniqueConstraint(
            "programme_code", "as_of", "method", name=op.f("uq_monitoring_review_programme_code_as_of_method")
        ),
    )
    op.create_index(
        op.f("ix_monitoring_review_programme_code"), "monitoring_review", ["programme_code"], unique=False
    )
    op.create_table(
        "monitoring_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("ack_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint("direction IN ('harm', 'benefit')", name=op.f("ck_monitoring_alert_direction")),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["monitoring_review.id"],
            name=op.f("fk_monitoring_alert_review_id_monitoring_review"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alert")),
        sa.UniqueConstraint("review_id", name=op.f("uq_monitoring_alert_review_id")),
    )
    op.create_index(
        op.f("ix_monitoring_alert_programme_code"), "monitoring_alert", ["programme_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_monitoring_alert_programme_code"), table_name="monitoring_alert")
    op.drop_table("monitoring_alert")
    op.drop_index(op.f("ix_monitoring_review_programme_code"), table_name="monitoring_review")
    op.drop_table("monitoring_review")
