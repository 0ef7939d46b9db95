"""Initial schema: casework tables, audit log, and the triggers that keep the audit log append-only.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29

The trigger DDL comes from :mod:`desist.adapters.append_only`, whose functions are frozen (they never
change what they return), so this migration stays what it was when it shipped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from desist.adapters.append_only import append_only_ddl, append_only_drop

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN_REFERRAL = (
    "NOT (status IN ('NOT_ELIGIBLE', 'NOT_SUITABLE', 'WITHDRAWN', 'DESELECTED', 'PROGRAMME_COMPLETE'))"
)

def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name=op.f("ck_audit_log_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "offering",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=40), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offering")),
        sa.UniqueConstraint("programme_code", "site", name=op.f("uq_offering_programme_code_site")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prison_number", sa.String(length=20), nullable=False),
        sa.Column("pnc_number", sa.String(length=20), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("establishment", sa.String(length=100), nullable=True),
        sa.Column("probation_region", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("sex IN ('M', 'F')", name=op.f("ck_person_sex")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("pnc_number", name=op.f("uq_person_pnc_number")),
        sa.UniqueConstraint("prison_number", name=op.f("uq_person_prison_number")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("tool", sa.String(length=30), nullable=False),
        sa.Column(
            "inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "outputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("assessor", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_assessment_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint(
            "person_id", "assessed_on", "tool", name=op.f("uq_assessment_person_id_assessed_on_tool")
        ),
    )
    op.create_index(op.f("ix_assessment_person_id"), "assessment", ["person_id"], unique=False)
    op.create_table(
        "incentive_level_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason_category", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('Entry', 'Basic', 'Standard', 'Enhanced')",
            name=op.f("ck_incentive_level_change_level"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_incentive_level_change_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_level_change")),
    )
    op.create_index(
        op.f("ix_incentive_level_change_person_id"), "incentive_level_change", ["person_id"], unique=False
    )
    op.create_table(
        "outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("offence_date", sa.Date(), nullable=False),
        sa.Column("proven_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("disposal", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "kind IN ('sexual_contact', 'sexual_images', 'violent', 'other')", name=op.f("ck_outcome_kind")
        ),
        sa.CheckConstraint("proven_date >= offence_date", name=op.f("ck_outcome_proven_after_offence")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_outcome_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome")),
        sa.UniqueConstraint(
            "person_id", "offence_date", "kind", name=op.f("uq_outcome_person_id_offence_date_kind")
        ),
    )
    op.create_index(op.f("ix_outcome_person_id"), "outcome", ["person_id"], unique=False)
    op.create_table(
        "programme_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "facilitators",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "session_plan",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_joining_session", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('closed', 'rolling')", name=op.f("ck_programme_group_kind")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_programme_group_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["offering_id"], ["offering.id"], name=op.f("fk_programme_group_offering_id_offering")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_group")),
    )
    op.create_index(op.f("ix_programme_group_offering_id"), "programme_group", ["offering_id"], unique=False)
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("referrer", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"], ["offering.id"], name=op.f("fk_referral_offering_id_offering")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index(op.f("ix_referral_offering_id"), "referral", ["offering_id"], unique=False)
    op.create_index(op.f("ix_referral_person_id"), "referral", ["person_id"], unique=False)
    op.create_index(
        "uq_referral_open_person_offering",
        "referral",
        ["person_id", "offering_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_REFERRAL),
        postgresql_where=sa.text(OPEN_REFERRAL),
    )
    op.create_table(
        "sentence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("licence_end_date", sa.Date(), nullable=True),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("index_offence", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_sentence_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sentence")),
        sa.UniqueConstraint("person_id", "start_date", name=op.f("uq_sentence_person_id_start_date")),
    )
    op.create_index(op.f("ix_sentence_person_id"), "sentence", ["person_id"], unique=False)
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("joined_session", sa.Integer(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=True),
        sa.Column("targets_met", sa.Boolean(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["programme_group.id"], name=op.f("fk_enrolment_group_id_programme_group")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_enrolment_person_id_person")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_enrolment_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint("group_id", "person_id", name=op.f("uq_enrolment_group_id_person_id")),
    )
    op.create_index(op.f("ix_enrolment_group_id"), "enrolment", ["group_id"], unique=False)
    op.create_index(op.f("ix_enrolment_person_id"), "enrolment", ["person_id"], unique=False)
    op.create_index(op.f("ix_enrolment_referral_id"), "enrolment", ["referral_id"], unique=False)
    op.create_table(
        "group_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["programme_group.id"], name=op.f("fk_group_session_group_id_programme_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_session")),
        sa.UniqueConstraint("group_id", "number", name=op.f("uq_group_session_group_id_number")),
    )
    op.create_index(op.f("ix_group_session_group_id"), "group_session", ["group_id"], unique=False)
    op.create_table(
        "programme_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("targets_met", sa.Boolean(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("result IN ('completed', 'incomplete')", name=op.f("ck_programme_history_result")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_programme_history_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_programme_history_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_history")),
        sa.UniqueConstraint(
            "person_id",
            "programme_code",
            "started_on",
            name=op.f("uq_programme_history_person_id_programme_code_started_on"),
        ),
    )
    op.create_index(op.f("ix_programme_history_person_id"), "programme_history", ["person_id"], unique=False)
    op.create_table(
        "referral_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("from_status", sa.String(length=40), nullable=True),
        sa.Column("to_status", sa.String(length=40), nullable=False),
        sa.Column("reason_category", sa.String(length=60), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_referral_status_change_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_status_change")),
    )
    op.create_index(
        op.f("ix_referral_status_change_referral_id"), "referral_status_change", ["referral_id"], unique=False
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('attended', 'absent', 'excused')", name=op.f("ck_attendance_status")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"], name=op.f("fk_attendance_enrolment_id_enrolment")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["group_session.id"], name=op.f("fk_attendance_session_id_group_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("session_id", "enrolment_id", name=op.f("uq_attendance_session_id_enrolment_id")),
    )
    op.create_index(op.f("ix_attendance_enrolment_id"), "attendance", ["enrolment_id"], unique=False)
    op.create_index(op.f("ix_attendance_session_id"), "attendance", ["session_id"], unique=False)
    for statement in append_only_ddl("audit_log", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only_drop("audit_log", op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f("ix_attendance_session_id"), table_name="attendance")
    op.drop_index(op.f("ix_attendance_enrolment_id"), table_name="attendance")
    op.drop_table("attendance")
    op.drop_index(op.f("ix_referral_status_change_referral_id"), table_name="referral_status_change")
    op.drop_table("referral_status_change")
    op.drop_index(op.f("ix_programme_history_person_id"), table_name="programme_history")
    op.drop_table("programme_history")
    op.drop_index(op.f("ix_group_session_group_id"), table_name="group_session")
    op.drop_table("group_session")
    op.drop_index(op.f("ix_enrolment_referral_id"), table_name="enrolment")
    op.drop_index(op.f("ix_enrolment_person_id"), table_name="enrolment")
    op.drop_index(op.f("ix_enrolment_group_id"), table_name="enrolment")
    op.drop_table("enrolment")
    op.drop_index(op.f("ix_sentence_person_id"), table_name="sentence")
    op.drop_table("sentence")
    op.drop_index(
        "uq_referral_open_person_offering",
        table_name="referral",
        sqlite_where=sa.text(OPEN_REFERRAL),
        postgresql_where=sa.text(OPEN_REFERRAL),
    )
    op.drop_index(op.f("ix_referral_person_id"), table_name="referral")
    op.drop_index(op.f("ix_referral_offering_id"), table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_programme_group_offering_id"), table_name="programme_group")
    op.drop_table("programme_group")
    op.drop_index(op.f("ix_outcome_person_id"), table_name="outcome")
    op.drop_table("outcome")
    op.drop_index(op.f("ix_incentive_level_change_person_id"), table_name="incentive_level_change")
    op.drop_table("incentive_level_change")
    op.drop_index(op.f("ix_assessment_person_id"), table_name="assessment")
    op.drop_table("assessment")
    op.drop_table("person")
    op.drop_table("offering")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
