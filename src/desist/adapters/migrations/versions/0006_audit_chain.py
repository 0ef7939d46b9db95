"""A tamper-evident audit log: a hash chain computed by the database, and a restricted PostgreSQL role.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``audit_log.hash`` chains every row to the one before it (see :mod:`desist.adapters.audit_chain`, whose
format 1 this migration installs); rows written before this migration are sealed into the chain here, in
id order. On SQLite the append-only triggers are replaced by ones that also refuse ``REPLACE`` /
``INSERT OR REPLACE`` / upserts over an existing row (they delete it without firing delete triggers).

PostgreSQL: the group role ``desist_app`` (NOLOGIN) gets SELECT/INSERT/UPDATE/DELETE on the casework
tables but only SELECT and INSERT on ``audit_log``; it owns nothing, so it can neither drop nor disable
triggers, nor set ``session_replication_role``. Run desist day to day as a login role that is a member
of it, and keep the owner for migrations (docs/storage.md). Creating the role needs CREATEROLE; without
it the migration leaves role creation to an administrator (and grants once the role exists).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desist.adapters import audit_chain
from desist.adapters.append_only import append_only_ddl, pg_row_trigger

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "desist_app"
CREATE_ROLE = (
    "DO $$ BEGIN "
    f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
    f"BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; "
    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "  # created meanwhile by another
    "WHEN insufficient_privilege THEN RAISE NOTICE 'desist: no CREATEROLE; create the role yourself'; END; "
    "END IF; END $$"
)


def _grant(conn: sa.Connection) -> None:
    if conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'").first() is None:
        return
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    tables = [t for t in sa.inspect(conn).get_table_names(schema=schema) if t not in ("audit_log",)]
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}')
    for table in tables:
        rights = "SELECT" if table == "alembic_version" else "SELECT, INSERT, UPDATE, DELETE"
        conn.exec_driver_sql(f'GRANT {rights} ON "{schema}"."{table}" TO {APP_ROLE}')
    conn.exec_driver_sql(f'GRANT SELECT, INSERT ON "{schema}".audit_log TO {APP_ROLE}')
    conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {APP_ROLE}')
    # tables and sequences later migrations create (as the owner) are usable by the role as well
    conn.exec_driver_sql(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
        f"TO {APP_ROLE}"
    )
    conn.exec_driver_sql(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}'
    )


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    if conn.dialect.name == "sqlite":
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        audit_chain.seal_existing(conn)
        for statement in audit_chain.sqlite_ddl():
            conn.exec_driver_sql(statement)
        return
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
    audit_chain.seal_existing(conn)
    conn.exec_driver_sql(pg_row_trigger("audit_log"))
    for statement in audit_chain.postgres_ddl():
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(CREATE_ROLE)
    _grant(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in audit_chain.SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for statement in append_only_ddl("audit_log", "sqlite"):
            conn.exec_driver_sql(statement)
    else:
        for statement in audit_chain.POSTGRES_DROP:
            conn.exec_driver_sql(statement)
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        if conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'").first():
            for kind in ("TABLES", "SEQUENCES"):
                conn.exec_driver_sql(
                    f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON {kind} FROM {APP_ROLE}'
                )
            conn.exec_driver_sql(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {APP_ROLE}')
            conn.exec_driver_sql(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {APP_ROLE}')
            conn.exec_driver_sql(f'REVOKE ALL ON SCHEMA "{schema}" FROM {APP_ROLE}')
    op.drop_column("audit_log", "hash")
