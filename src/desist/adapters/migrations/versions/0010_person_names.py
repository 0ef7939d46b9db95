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

from desist.adapters.limit_checks import limit_statements

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: table -> {column: maximum characters}, as data/limits.yaml had them when this migration was written
LENGTHS = {"person": {"given_name": 100, "family_name": 100}}


def _limits() -> list[tuple[str, str]]:
    return limit_statements(op.get_bind().dialect.name, "person", "lim_person_names", LENGTHS["person"])


def upgrade() -> None:
    op.add_column("person", sa.Column("given_name", sa.String(100), nullable=True))
    op.add_column("person", sa.Column("family_name", sa.String(100), nullable=True))
    op.create_index("ix_person_family_name_lower", "person", [sa.text("lower(family_name)")])
    for add, _drop in _limits():
        op.execute(add)


def downgrade() -> None:
    for _add, drop in _limits():
        op.execute(drop)
    op.drop_index("ix_person_family_name_lower", table_name="person")
    op.drop_column("person", "family_name")
    op.drop_column("person", "given_name")
