"""Initial schema: casework tables, audit log, and the triggers that keep the audit log append-only.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29

The trigger DDL comes from :mod:`desist.adapters.append_only`, whose functions are frozen (they never
change what they return), so this migration stays what it was when it shipped.
"""

from __future__ import annotations

from alembic import op

from desist.adapters.append_only import append_only_ddl, append_only_drop
from desist.adapters.migrations._shapes import (
    IndexShape,
    TableShape,
    boolean,
    create_tables,
    date,
    drop_tables,
    integer,
    json_column,
    partial_unique,
    string,
    text,
    timestamp,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN_REFERRAL = (
    "NOT (status IN ('NOT_ELIGIBLE', 'NOT_SUITABLE', 'WITHDRAWN', 'DESELECTED', 'PROGRAMME_COMPLETE'))"
)

def _tables() -> list[TableShape]:
    """The tables in the order they are created (and dropped, last first)."""
    return [
        TableShape(
            "audit_log",
            (
                string("actor", 100), timestamp("at"), string("entity", 40), string("entity_id", 40),
                string("action", 10), json_column("before", nullable=True),
                json_column("after", nullable=True),
            ),
            checks={"action": "action IN ('insert', 'update', 'delete')"},
            indexed=("at",),
            indexes=(IndexShape("ix_audit_log_entity", ("entity", "entity_id"), fixed=False),),
        ),
        TableShape(
            "offering",
            (string("programme_code", 40), string("site", 100), boolean("active")),
            unique=(("programme_code", "site"),),
        ),
        TableShape(
            "person",
            (
                string("prison_number", 20), string("pnc_number", 20, nullable=True), date("date_of_birth"),
                string("sex", 1), string("establishment", 100, nullable=True),
                string("probation_region", 100, nullable=True), timestamp("created_at"), integer("version"),
            ),
            checks={"sex": "sex IN ('M', 'F')"},
            unique=(("pnc_number",), ("prison_number",)),
        ),
        TableShape(
            "assessment",
            (
                integer("person_id"), date("assessed_on"), string("tool", 30), json_column("inputs"),
                json_column("outputs", nullable=True), string("assessor", 100, nullable=True),
            ),
            references={"person_id": "person"},
            unique=(("person_id", "assessed_on", "tool"),),
            indexed=("person_id",),
        ),
        TableShape(
            "incentive_level_change",
            (
                integer("person_id"), string("level", 10), date("effective_on"),
                string("reason_category", 60), text("reason", nullable=True), string("actor", 100),
                timestamp("recorded_at"),
            ),
            checks={"level": "level IN ('Entry', 'Basic', 'Standard', 'Enhanced')"},
            references={"person_id": "person"},
            indexed=("person_id",),
        ),
        TableShape(
            "outcome",
            (
                integer("person_id"), date("offence_date"), date("proven_date"), string("kind", 20),
                string("disposal", 100, nullable=True),
            ),
            checks={
                "kind": "kind IN ('sexual_contact', 'sexual_images', 'violent', 'other')",
                "proven_after_offence": "proven_date >= offence_date",
            },
            references={"person_id": "person"},
            unique=(("person_id", "offence_date", "kind"),),
            indexed=("person_id",),
        ),
        TableShape(
            "programme_group",
            (
                integer("offering_id"), string("label", 100, nullable=True), string("kind", 10),
                integer("capacity"), json_column("facilitators"), date("start_date", nullable=True),
                date("end_date", nullable=True), json_column("session_plan"),
                integer("last_joining_session", nullable=True), integer("version"),
            ),
            checks={"kind": "kind IN ('closed', 'rolling')", "capacity_positive": "capacity > 0"},
            references={"offering_id": "offering"},
            indexed=("offering_id",),
        ),
        TableShape(
            "referral",
            (
                integer("person_id"), integer("offering_id"), string("status", 40), string("referrer", 100),
                timestamp("created_at"), timestamp("updated_at"), integer("version"),
            ),
            references={"offering_id": "offering", "person_id": "person"},
            indexed=("offering_id", "person_id"),
            indexes=(
                partial_unique(
                    "uq_referral_open_person_offering", ("person_id", "offering_id"), OPEN_REFERRAL
                ),
            ),
        ),
        TableShape(
            "sentence",
            (
                integer("person_id"), date("start_date"), date("release_date", nullable=True),
                date("licence_end_date", nullable=True), boolean("custodial"),
                string("index_offence", 200, nullable=True),
            ),
            references={"person_id": "person"},
            unique=(("person_id", "start_date"),),
            indexed=("person_id",),
        ),
        TableShape(
            "enrolment",
            (
                integer("group_id"), integer("person_id"), integer("referral_id", nullable=True),
                date("joined_on"), integer("joined_session", nullable=True), date("left_on", nullable=True),
                boolean("completed", nullable=True), boolean("targets_met", nullable=True),
                integer("version"),
            ),
            references={"group_id": "programme_group", "person_id": "person", "referral_id": "referral"},
            unique=(("group_id", "person_id"),),
            indexed=("group_id", "person_id", "referral_id"),
        ),
        TableShape(
            "group_session",
            (integer("group_id"), integer("number"), date("held_on"), string("topic", 200, nullable=True)),
            references={"group_id": "programme_group"},
            unique=(("group_id", "number"),),
            indexed=("group_id",),
        ),
        TableShape(
            "programme_history",
            (
                integer("person_id"), string("programme_code", 40), date("started_on"),
                date("ended_on", nullable=True), string("result", 12), boolean("targets_met", nullable=True),
                string("source", 40), integer("referral_id", nullable=True),
            ),
            checks={"result": "result IN ('completed', 'incomplete')"},
            references={"person_id": "person", "referral_id": "referral"},
            unique=(("person_id", "programme_code", "started_on"),),
            indexed=("person_id",),
        ),
        TableShape(
            "referral_status_change",
            (
                integer("referral_id"), timestamp("changed_at"), string("actor", 100),
                string("from_status", 40, nullable=True), string("to_status", 40),
                string("reason_category", 60, nullable=True), text("reason", nullable=True),
            ),
            references={"referral_id": "referral"},
            indexed=("referral_id",),
        ),
        TableShape(
            "attendance",
            (
                integer("session_id"), integer("enrolment_id"), string("status", 10),
                text("note", nullable=True),
            ),
            checks={"status": "status IN ('attended', 'absent', 'excused')"},
            references={"enrolment_id": "enrolment", "session_id": "group_session"},
            unique=(("session_id", "enrolment_id"),),
            indexed=("enrolment_id", "session_id"),
        ),
    ]


def upgrade() -> None:
    create_tables(_tables())
    for statement in append_only_ddl("audit_log", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only_drop("audit_log", op.get_bind().dialect.name):
        op.execute(statement)
    drop_tables(_tables())
