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

from alembic import op

from desist.adapters.append_only import append_only_ddl, append_only_drop
from desist.adapters.migrations._shapes import TableShape, date, json_column, string, timestamp

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

def _run() -> TableShape:
    return TableShape(
        "evaluation_run",
        (
            string("programme_code", 40), date("as_of"), json_column("spec"), json_column("result"),
            string("data_fingerprint", 80), string("desist_version", 40), string("actor", 100),
            timestamp("created_at"),
        ),
        indexed=("programme_code",),
    )


def upgrade() -> None:
    _run().create()
    for statement in append_only_ddl("evaluation_run", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only_drop("evaluation_run", op.get_bind().dialect.name):
        op.execute(statement)
    _run().drop()
