"""Indexes for the caseload search: prison numbers, PNC numbers and names by their first characters.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The search asks for men whose prison number, upper-cased PNC number, or lower-cased family or given name
starts with what was typed (:meth:`desist.adapters.caseload_queries.CaseloadQueries.search_people`), as a
range of text compared byte by byte (from ``'A12'`` up to, not including, ``'A13'``). SQLite compares text
that way, so its unique index on ``prison_number`` and the index on ``lower(family_name)`` (0010) serve the
range; ``upper(pnc_number)`` and ``lower(given_name)`` get one. PostgreSQL orders text by the database's
collation (``en_GB.UTF-8`` sorts ``a`` next to ``A``), in which a range is not a prefix, so its indexes use
the byte-order operator classes (``varchar_pattern_ops``, ``text_pattern_ops``) and the search their
operators (``~>=~``, ``~<~``). Without them every search read every man (20,000 in the demo), and a
search by prison number, once the planner had statistics, walked the whole prison-number index looking
for 50 matches (a third of a second).
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

POSTGRES = {
    "ix_person_prison_number_prefix": "prison_number varchar_pattern_ops",
    "ix_person_pnc_number_prefix": "upper(pnc_number) text_pattern_ops",
    "ix_person_family_name_prefix": "lower(family_name) text_pattern_ops",
    "ix_person_given_name_prefix": "lower(given_name) text_pattern_ops",
}
SQLITE = {
    "ix_person_pnc_number_upper": "upper(pnc_number)",
    "ix_person_given_name_lower": "lower(given_name)",
}


def _indexes() -> dict[str, str]:
    return POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE


def upgrade() -> None:
    for name, what in _indexes().items():
        op.execute(f"CREATE INDEX {name} ON person ({what})")


def downgrade() -> None:
    for name in _indexes():
        op.execute(f"DROP INDEX {name}")
