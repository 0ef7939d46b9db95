"""One open referral and one open group place per man per programme, across sites; referral transfers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The duplicate check used to be per offering (programme at one site), so a man could hold open referrals
for one programme at two prisons and, once assessed, places in two of its groups at once. Both
``referral`` and ``enrolment`` get a ``programme_code`` column (the offering's code, repeated so a
partial unique index can reach it) and a partial unique index on ``(person_id, programme_code)`` over
open rows. Triggers keep the repeated code equal to the offering's, and refuse changing an offering's
programme or a group's offering once written (either would let the copies drift).

A database that already breaks the rule is not migrated: the migration stops with one line naming every
man and his duplicate referrals or places, and changes nothing (the whole upgrade is one transaction).
``referral_transfer`` records moving a referral to another site (``desist referral transfer``).

``ADD COLUMN ... NOT NULL DEFAULT ''`` then a backfill, on both backends: SQLite adds such a column in
place, whereas rebuilding ``referral`` or ``enrolment`` would fight the foreign keys that point at them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desist.adapters.migrations._shapes import TableShape, integer, partial_unique, string, text, timestamp
from desist.domain.errors import InputError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CLOSED = "('NOT_ELIGIBLE', 'NOT_SUITABLE', 'WITHDRAWN', 'DESELECTED', 'PROGRAMME_COMPLETE')"
OPEN_REFERRAL = f"NOT (status IN {CLOSED})"

_REFERRAL_CODE = "(SELECT o.programme_code FROM offering o WHERE o.id = NEW.offering_id)"
_ENROLMENT_CODE = (
    "(SELECT o.programme_code FROM programme_group g JOIN offering o ON o.id = g.offering_id "
    "WHERE g.id = NEW.group_id)"
)
_MSG = "{t}.programme_code must equal the programme of its offering"

SQLITE_TRIGGERS = (
    *(
        f"CREATE TRIGGER referral_programme_{op_} BEFORE {what} ON referral "
        f"WHEN NEW.programme_code IS NOT {_REFERRAL_CODE} "
        f"BEGIN SELECT RAISE(ABORT, '{_MSG.format(t='referral')}'); END"
        for op_, what in (("insert", "INSERT"), ("update", "UPDATE OF offering_id, programme_code"))
    ),
    *(
        f"CREATE TRIGGER enrolment_programme_{op_} BEFORE {what} ON enrolment "
        f"WHEN NEW.programme_code IS NOT {_ENROLMENT_CODE} "
        f"BEGIN SELECT RAISE(ABORT, '{_MSG.format(t='enrolment')}'); END"
        for op_, what in (("insert", "INSERT"), ("update", "UPDATE OF group_id, programme_code"))
    ),
    "CREATE TRIGGER offering_programme_fixed BEFORE UPDATE OF programme_code ON offering "
    "WHEN NEW.programme_code IS NOT OLD.programme_code "
    "BEGIN SELECT RAISE(ABORT, 'offering.programme_code cannot change; make a new offering'); END",
    "CREATE TRIGGER programme_group_offering_fixed BEFORE UPDATE OF offering_id ON programme_group "
    "WHEN NEW.offering_id IS NOT OLD.offering_id "
    "BEGIN SELECT RAISE(ABORT, 'programme_group.offering_id cannot change; make a new group'); END",
)
SQLITE_DROP = (
    "referral_programme_insert",
    "referral_programme_update",
    "enrolment_programme_insert",
    "enrolment_programme_update",
    "offering_programme_fixed",
    "programme_group_offering_fixed",
)

# SQLSTATE 23514 (check_violation) so drivers raise an IntegrityError, as for any other broken rule.
POSTGRES_TRIGGERS = (
    "CREATE FUNCTION desist_programme_in_step() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE code text; BEGIN "
    "IF TG_TABLE_NAME = 'referral' THEN "
    "SELECT o.programme_code INTO code FROM offering o WHERE o.id = NEW.offering_id; "
    "ELSE SELECT o.programme_code INTO code FROM programme_group g JOIN offering o "
    "ON o.id = g.offering_id WHERE g.id = NEW.group_id; END IF; "
    "IF NEW.programme_code IS DISTINCT FROM code THEN RAISE EXCEPTION "
    "'%%.programme_code must equal the programme of its offering', TG_TABLE_NAME USING ERRCODE = '23514'; "
    "END IF; RETURN NEW; END $$",
    "CREATE TRIGGER referral_programme_in_step BEFORE INSERT OR UPDATE OF offering_id, programme_code "
    "ON referral FOR EACH ROW EXECUTE FUNCTION desist_programme_in_step()",
    "CREATE TRIGGER enrolment_programme_in_step BEFORE INSERT OR UPDATE OF group_id, programme_code "
    "ON enrolment FOR EACH ROW EXECUTE FUNCTION desist_programme_in_step()",
    "CREATE FUNCTION desist_fixed_column() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION '%%.%% cannot change; make a new one', TG_TABLE_NAME, TG_ARGV[0] "
    "USING ERRCODE = '23514'; END $$",
    "CREATE TRIGGER offering_programme_fixed BEFORE UPDATE OF programme_code ON offering FOR EACH ROW "
    "WHEN (NEW.programme_code IS DISTINCT FROM OLD.programme_code) "
    "EXECUTE FUNCTION desist_fixed_column('programme_code')",
    "CREATE TRIGGER programme_group_offering_fixed BEFORE UPDATE OF offering_id ON programme_group "
    "FOR EACH ROW WHEN (NEW.offering_id IS DISTINCT FROM OLD.offering_id) "
    "EXECUTE FUNCTION desist_fixed_column('offering_id')",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS referral_programme_in_step ON referral",
    "DROP TRIGGER IF EXISTS enrolment_programme_in_step ON enrolment",
    "DROP TRIGGER IF EXISTS offering_programme_fixed ON offering",
    "DROP TRIGGER IF EXISTS programme_group_offering_fixed ON programme_group",
    "DROP FUNCTION IF EXISTS desist_programme_in_step()",
    "DROP FUNCTION IF EXISTS desist_fixed_column()",
)

#: open referrals (and open places) per man and programme, where there is more than one
DUPLICATE_REFERRALS = (
    "SELECT r.person_id, r.programme_code, r.id FROM referral r WHERE "
    f"{OPEN_REFERRAL.replace('status', 'r.status')} AND EXISTS (SELECT 1 FROM referral d "
    f"WHERE d.person_id = r.person_id AND d.programme_code = r.programme_code AND d.id <> r.id "
    f"AND {OPEN_REFERRAL.replace('status', 'd.status')}) ORDER BY r.person_id, r.programme_code, r.id"
)
DUPLICATE_PLACES = (
    "SELECT e.person_id, e.programme_code, e.group_id FROM enrolment e WHERE e.left_on IS NULL "
    "AND EXISTS (SELECT 1 FROM enrolment d WHERE d.person_id = e.person_id "
    "AND d.programme_code = e.programme_code AND d.id <> e.id AND d.left_on IS NULL) "
    "ORDER BY e.person_id, e.programme_code, e.group_id"
)


#: one open referral (and one open place) per man and programme; 0001's index: one per man and offering
_OPEN_ROWS = {
    "referral": partial_unique(
        "uq_referral_open_person_programme", ("person_id", "programme_code"), OPEN_REFERRAL
    ),
    "enrolment": partial_unique(
        "uq_enrolment_open_person_programme", ("person_id", "programme_code"), "left_on IS NULL"
    ),
}
_PER_OFFERING = partial_unique(
    "uq_referral_open_person_offering", ("person_id", "offering_id"), OPEN_REFERRAL
)


def _transfer() -> TableShape:
    return TableShape(
        "referral_transfer",
        (
            integer("referral_id"), integer("from_offering_id"), integer("to_offering_id"),
            string("status", 40), string("actor", 100), timestamp("transferred_at"),
            string("reason_category", 60, nullable=True), text("reason", nullable=True),
        ),
        references={"referral_id": "referral", "from_offering_id": "offering", "to_offering_id": "offering"},
        indexed=("referral_id",),
    )


def duplicates_line(conn: sa.Connection) -> str | None:
    """One line naming every man with two open referrals or places for one programme, or ``None``."""
    found: dict[tuple[int, str], list[str]] = {}
    for person, code, rid in conn.exec_driver_sql(DUPLICATE_REFERRALS):
        found.setdefault((person, code), []).append(f"referral {rid}")
    for person, code, gid in conn.exec_driver_sql(DUPLICATE_PLACES):
        found.setdefault((person, code), []).append(f"place in group {gid}")
    if not found:
        return None
    numbers = dict(conn.exec_driver_sql("SELECT id, prison_number FROM person").all())
    listed = "; ".join(
        f"{numbers.get(person, f'#{person}')} {code}: {', '.join(items)}"
        for (person, code), items in sorted(found.items())
    )
    return (
        f"migration 0004 (one open referral and place per man per programme): {len(found)} man/programme "
        f"pair(s) already break it, nothing was changed: {listed}; close all but one of each "
        "(with the previous desist version: referral move ... --to WITHDRAWN, or group deselect) and run "
        "desist db init again"
    )


def upgrade() -> None:
    conn = op.get_bind()
    for table in ("referral", "enrolment"):
        op.add_column(table, sa.Column("programme_code", sa.String(40), nullable=False, server_default=""))
    conn.exec_driver_sql(
        "UPDATE referral SET programme_code = "
        "(SELECT o.programme_code FROM offering o WHERE o.id = referral.offering_id)"
    )
    conn.exec_driver_sql(
        "UPDATE enrolment SET programme_code = (SELECT o.programme_code FROM programme_group g "
        "JOIN offering o ON o.id = g.offering_id WHERE g.id = enrolment.group_id)"
    )
    line = duplicates_line(conn)
    if line is not None:
        raise InputError(line)
    _PER_OFFERING.drop("referral")
    for table, index in _OPEN_ROWS.items():
        index.create(table)
    _transfer().create()
    for statement in SQLITE_TRIGGERS if conn.dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in SQLITE_DROP:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for statement in POSTGRES_DROP:
            conn.exec_driver_sql(statement)
    _transfer().drop()
    for table, index in reversed(_OPEN_ROWS.items()):
        index.drop(table)
    _PER_OFFERING.create("referral")
    op.drop_column("enrolment", "programme_code")
    op.drop_column("referral", "programme_code")
