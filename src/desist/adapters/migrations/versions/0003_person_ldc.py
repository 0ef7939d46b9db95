"""person.ldc: the learning-disability/challenges (LDC) flag.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

domain.md: "LDC flag: an OASys learning-disability/challenges subtotal of 3 or more (successor of the old
'IQ under 80' rule)". LDC men go to the adapted programmes (Becoming New Me, BNM+, New Me Strengths), not
Core SOTP, so an evaluation of Core must be able to leave them out of its comparison pool.

NOT NULL with a server default of false, so people recorded before this migration read as "not known to
be LDC" until someone sets the flag. Plain ``ADD COLUMN`` on SQLite too, for the reasons given in 0002
(SQLite adds a NOT NULL column with a constant default in place; rebuilding ``person`` would fight the
foreign keys that point at it).
"""

from __future__ import annotations

from alembic import op

from desist.adapters.migrations._shapes import flag

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("person", flag("ldc"))


def downgrade() -> None:
    op.drop_column("person", "ldc")
