"""person.maintains_innocence and person.recognised_appellant (the incentive rule's two flags).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Both are NOT NULL with a server default of false, so people recorded before this migration read as
"not known to maintain innocence / not a recognised appellant" and the rule keeps its old behaviour for
them until someone sets the flag. Plain ``ADD COLUMN`` (not a batch copy-and-move) on SQLite too: SQLite
adds a NOT NULL column with a constant default in place, and rebuilding ``person`` would fight the foreign
keys that point at it. SQLite (3.35+) and PostgreSQL both drop a column in place on downgrade.
"""

from __future__ import annotations

from alembic import op

from desist.adapters.migrations._shapes import flag

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FLAGS = ("maintains_innocence", "recognised_appellant")


def upgrade() -> None:
    for name in FLAGS:
        op.add_column("person", flag(name))


def downgrade() -> None:
    for name in reversed(FLAGS):
        op.drop_column("person", name)
