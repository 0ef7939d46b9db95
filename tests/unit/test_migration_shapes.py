"""The helpers shipped migrations call emit exactly what they did when those migrations shipped.

They are frozen (:mod:`desist.adapters.migrations._shapes`, :mod:`desist.adapters.append_only`,
:mod:`desist.adapters.limit_checks`): a change to what they write would change old migrations. The SQL is
rendered by Alembic's offline mode, so no database is needed.
"""

from __future__ import annotations

import io

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from desist.adapters.append_only import append_only_ddl, append_only_drop, pg_row_trigger
from desist.adapters.limit_checks import limit_statements
from desist.adapters.migrations._shapes import TableShape, integer, partial_unique, string


def _note() -> TableShape:
    return TableShape(
        "note",
        (integer("person_id"), string("body", 10, nullable=True)),
        checks={"short": "length(body) < 5"},
        references={"person_id": "person"},
        unique=(("person_id", "body"),),
        indexed=("person_id",),
        indexes=(partial_unique("uq_note_open", ("person_id",), "body IS NULL"),),
    )


def _offline_sql(dialect: str) -> str:
    buf = io.StringIO()
    context = MigrationContext.configure(dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf})
    with Operations.context(context):
        _note().create()
        _note().drop()
    return buf.getvalue()


def test_table_shape_sql() -> None:
    assert _offline_sql("sqlite") == (
        "CREATE TABLE note (\n"
        "    id INTEGER NOT NULL, \n"
        "    person_id INTEGER NOT NULL, \n"
        "    body VARCHAR(10), \n"
        "    CONSTRAINT pk_note PRIMARY KEY (id), \n"
        "    CONSTRAINT ck_note_short CHECK (length(body) < 5), \n"
        "    CONSTRAINT fk_note_person_id_person FOREIGN KEY(person_id) REFERENCES person (id), \n"
        "    CONSTRAINT uq_note_person_id_body UNIQUE (person_id, body)\n"
        ");\n\n"
        "CREATE INDEX ix_note_person_id ON note (person_id);\n\n"
        "CREATE UNIQUE INDEX uq_note_open ON note (person_id) WHERE body IS NULL;\n\n"
        "DROP INDEX uq_note_open;\n\n"
        "DROP INDEX ix_note_person_id;\n\n"
        "DROP TABLE note;\n\n"
    )
    serial = _offline_sql("sqlite").replace("    id INTEGER NOT NULL", "    id SERIAL NOT NULL")
    assert _offline_sql("postgresql") == serial


def test_append_only_sql() -> None:
    assert append_only_ddl("audit_log", "sqlite") == (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    )
    assert append_only_ddl("audit_log", "postgresql") == (
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    )
    assert pg_row_trigger("audit_log") == append_only_ddl("audit_log", "postgresql")[1]
    assert append_only_drop("audit_log", "postgresql") == (
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    )
    assert append_only_ddl("audit_log", "mysql") == () == append_only_drop("audit_log", "mysql")


def test_limit_statements() -> None:
    pg = limit_statements(
        "postgresql", "outcome", "lim_outcome", {"kind": 20}, ("offence_date",), not_valid=True
    )
    assert pg == [
        (
            "ALTER TABLE outcome ADD CONSTRAINT lim_outcome_kind CHECK "
            "(char_length(kind) <= 20 AND kind !~ E'[\\x01-\\x08\\x0a\\x0b-\\x1f\\x7f]') NOT VALID",
            "ALTER TABLE outcome DROP CONSTRAINT IF EXISTS lim_outcome_kind",
        ),
        (
            "ALTER TABLE outcome ADD CONSTRAINT lim_outcome_offence_date CHECK "
            "(offence_date BETWEEN DATE '1900-01-01' AND DATE '2199-12-31') NOT VALID",
            "ALTER TABLE outcome DROP CONSTRAINT IF EXISTS lim_outcome_offence_date",
        ),
    ]
    sqlite = limit_statements("sqlite", "person", "lim_person_names", {"given_name": 100})
    assert [drop for _add, drop in sqlite] == [
        "DROP TRIGGER IF EXISTS lim_person_names_insert",
        "DROP TRIGGER IF EXISTS lim_person_names_update",
    ]
    assert sqlite[0][0] == (
        "CREATE TRIGGER lim_person_names_insert BEFORE INSERT ON person WHEN "
        "(length(NEW.given_name) > 100 OR NEW.given_name GLOB ('*[' || char(1) || '-' || char(8) || "
        "char(10) || char(11) || '-' || char(31) || char(127) || ']*')) "
        "BEGIN SELECT RAISE(ABORT, 'person: a value outside the limits of data/limits.yaml'); END"
    )
