"""evaluation_run: stored evaluations (spec + full result), append-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

``desist evaluate --programme`` stores every run so results can be listed, shown, compared over time and
re-run from their spec. Like ``audit_log``, the table is append-only: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL). The DDL is :mod:`desist.adapters.append_only`'s, as the ORM's is, so a
database built by migrations and one built by ``metadata.create_all`` carry the same guard.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from desist.adapters.append_only import append_only_ddl, append_only_drop

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "evaluation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("data_fingerprint", sa.String(80), nullable=False),
        sa.Column("desist_version", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_run"),
    )
    op.create_index("ix_evaluation_run_programme_code", "evaluation_run", ["programme_code"])
    for statement in append_only_ddl("evaluation_run", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only_drop("evaluation_run", op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_evaluation_run_programme_code", table_name="evaluation_run")
    op.drop_table("evaluation_run")
