"""Database limits matching data/limits.yaml: text lengths, no control characters, dates from 1900.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

desist refuses out-of-limit values before writing (importers, the session flush check); these constraints
are the last line for anything else that writes to the store (another tool, a hand-written SQL fix).
Figures are frozen here as they stood in data/limits.yaml when this migration was written (a migration
must not change meaning when the data file changes later; tests/integration/test_hostile_input.py checks
they still agree):

- every text column at most its length (PostgreSQL's ``varchar(n)`` already does this for ``String``
  columns; SQLite does not, and free-text ``Text`` columns have no length on either backend);
- no C0 control character but tab (multi-line fields: but tab and line feed), no DEL;
- every date from 1900-01-01 to 2199-12-31 (the age-at-event and not-in-the-future rules depend on other
  rows and on today, which a CHECK cannot see; desist checks those itself).

PostgreSQL gets named CHECK constraints, added ``NOT VALID`` so a database holding older out-of-limit rows
still migrates (they are escaped on output; new and changed rows are checked). SQLite cannot add a CHECK
to an existing table without rebuilding it, which would fight the foreign keys that point at it, so it
gets ``BEFORE INSERT``/``BEFORE UPDATE`` triggers that abort with the same meaning.
"""

from __future__ import annotations

from alembic import op

from desist.adapters.limit_checks import limit_statements

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: table -> {column: max length} (all text columns)
LENGTHS: dict[str, dict[str, int]] = {
    "person": {
        "prison_number": 20, "pnc_number": 20, "sex": 1, "establishment": 100, "probation_region": 100,
    },
    "sentence": {"index_offence": 200},
    "assessment": {"tool": 30, "assessor": 100},
    "offering": {"programme_code": 40, "site": 100},
    "programme_group": {"label": 100, "kind": 10},
    "referral": {"status": 40, "referrer": 100, "programme_code": 40},
    "referral_transfer": {"status": 40, "actor": 100, "reason_category": 60, "reason": 2000},
    "enrolment": {"programme_code": 40},
    "referral_status_change": {
        "actor": 100, "from_status": 40, "to_status": 40, "reason_category": 60, "reason": 2000,
    },
    "group_session": {"topic": 200},
    "attendance": {"status": 10, "note": 2000},
    "incentive_level_change": {"level": 10, "reason_category": 60, "reason": 2000, "actor": 100},
    "programme_history": {"programme_code": 40, "result": 12, "source": 40},
    "outcome": {"kind": 20, "disposal": 100},
}
MULTILINE = {
    ("referral_status_change", "reason"), ("incentive_level_change", "reason"), ("attendance", "note"),
    ("referral_transfer", "reason"),
}
DATES: dict[str, tuple[str, ...]] = {
    "person": ("date_of_birth",),
    "sentence": ("start_date", "release_date", "licence_end_date"),
    "assessment": ("assessed_on",),
    "enrolment": ("joined_on", "left_on"),
    "group_session": ("held_on",),
    "incentive_level_change": ("effective_on",),
    "outcome": ("offence_date", "proven_date"),
    "programme_group": ("start_date", "end_date"),
    "programme_history": ("started_on", "ended_on"),
}
EARLIEST, LATEST = "1900-01-01", "2199-12-31"


def _limits(table: str) -> list[tuple[str, str]]:
    multiline = {c for t, c in MULTILINE if t == table}
    return limit_statements(
        op.get_bind().dialect.name, table, f"lim_{table}", LENGTHS.get(table, {}), DATES.get(table, ()),
        multiline, not_valid=True,
    )


def _tables() -> list[str]:
    return sorted(set(LENGTHS) | set(DATES))


def upgrade() -> None:
    for table in _tables():
        for add, _drop in _limits(table):
            op.execute(add)


def downgrade() -> None:
    for table in _tables():
        for _add, drop in _limits(table):
            op.execute(drop)
