"""person.given_name, person.family_name: staff find a man by his name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Both optional (a man known only by his prison number stays valid), at most 100 characters, no control
characters (the limits of data/limits.yaml, frozen here as 0005 froze its own). An index on the lower-cased
family name serves the caseload search (a prefix match without regard to case). Names are identifying:
pseudonymised analyst exports never carry them (desist.adapters.analyst_export_queries names its columns).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desist.adapters.limit_checks import pg_checks, sqlite_condition, sqlite_triggers

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: table -> {column: maximum characters}, as data/limits.yaml had them when this migration was written
LENGTHS = {"person": {"given_name": 100, "family_name": 100}}


def upgrade() -> None:
    op.add_column("person", sa.Column("given_name", sa.String(100), nullable=True))
    op.add_column("person", sa.Column("family_name", sa.String(100), nullable=True))
    op.create_index("ix_person_family_name_lower", "person", [sa.text("lower(family_name)")])
    if op.get_bind().dialect.name == "postgresql":
        for name, check in pg_checks("person", LENGTHS["person"]):
            op.execute(f"ALTER TABLE person ADD CONSTRAINT {name} CHECK ({check})")
        return
    for statement in sqlite_triggers("lim_person_names", "person", sqlite_condition(LENGTHS["person"])):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _check in pg_checks("person", LENGTHS["person"]):
            op.execute(f"ALTER TABLE person DROP CONSTRAINT IF EXISTS {name}")
    else:
        for when in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS lim_person_names_{when}")
    op.drop_index("ix_person_family_name_lower", table_name="person")
    op.drop_column("person", "family_name")
    op.drop_column("person", "given_name")
