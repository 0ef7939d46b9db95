"""The audit log's hash chain: intact after normal work, broken by any direct-SQL tampering, and the
writes around it refused (REPLACE on SQLite, raw SQL through the unit of work, the restricted PG role)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from desist.adapters import audit
from desist.adapters.audit_chain import verify
from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.orm import AuditLog, Person
from desist.services.unit_of_work import UnitOfWork
from tests.cli import ADMIN, run_cli, seed_user


def _people(uow_factory, n: int = 4) -> None:
    for i in range(n):
        with uow_factory(f"user{i}") as uow:
            uow.session.add(Person(prison_number=f"A{i:04d}AA", date_of_birth=dt.date(1980, 1, 1), sex="M"))
            uow.commit()
    with uow_factory("editor") as uow:
        uow.session.scalars(select(Person)).first().establishment = "HMP Usk"
        uow.commit()


def _ids(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM audit_log ORDER BY id")).scalars())


def _verify(engine):
    with engine.connect() as conn:
        return verify(conn)


def _owner_sql(engine, backend: str, statements: list[str]) -> None:
    """Run SQL as someone with the database in hand: the SQLite file via sqlite3, the PG owner."""
    if backend == "sqlite":
        con = sqlite3.connect(engine.url.database, isolation_level=None)
        try:
            for statement in statements:
                con.execute(statement)
        finally:
            con.close()
        return
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def test_normal_work_keeps_the_chain_intact_with_database_timestamps(uow_factory, engine, monkeypatch):
    # the client's clock says 2001: the rows must carry the database's time instead
    monkeypatch.setattr(audit, "utcnow", lambda: dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    _people(uow_factory)
    report = _verify(engine)
    assert report.intact and report.rows == 5 and len(report.head) == 64
    with engine.connect() as conn:
        years = {at.year for at in conn.execute(select(AuditLog.at)).scalars()}
    assert years == {dt.datetime.now(dt.UTC).year}


@pytest.mark.parametrize("how", ["update", "delete"])
def test_tampering_by_direct_sql_is_detected(uow_factory, engine, backend, how, capsys, database_url):
    seed_user(database_url, ADMIN)  # who verifies the chain (2 audit rows: the account and its role)
    _people(uow_factory)
    ids = _ids(engine)
    target = ids[2]
    if backend == "sqlite":
        drop = "DROP TRIGGER audit_log_no_update" if how == "update" else "DROP TRIGGER audit_log_no_delete"
        prelude = [drop]
    else:  # the owner can switch the triggers off; the chain still tells
        prelude = ["ALTER TABLE audit_log DISABLE TRIGGER USER"]
    change = (
        f"UPDATE audit_log SET actor = 'mallory' WHERE id = {target}"
        if how == "update"
        else f"DELETE FROM audit_log WHERE id = {target}"
    )
    code, out, _ = run_cli(["audit", "verify", "--db", database_url, "--as", ADMIN], capsys)
    assert code == 0 and "7 row(s), chain intact" in out
    # the group's --db and --as, given before the subcommand, reach it too
    assert run_cli(["audit", "--db", database_url, "--as", ADMIN, "verify"], capsys)[:2] == (0, out)
    _owner_sql(engine, backend, [*prelude, change])
    report = _verify(engine)
    first_bad = target if how == "update" else ids[3]
    assert report.broken_at == first_bad
    code, out, err = run_cli(["audit", "verify", "--db", database_url, "--as", ADMIN], capsys)
    assert code == 1 and err.startswith(f"error: audit log: chain broken at row {first_bad}:")
    assert len(err.strip().splitlines()) == 1


def test_cutting_the_tail_is_caught_against_a_recorded_head(
    uow_factory, engine, backend, capsys, database_url
):
    seed_user(database_url, ADMIN)
    _people(uow_factory)
    head = _verify(engine).head
    last = _ids(engine)[-1]
    prelude = ["DROP TRIGGER audit_log_no_delete"] if backend == "sqlite" else [
        "ALTER TABLE audit_log DISABLE TRIGGER USER"
    ]
    _owner_sql(engine, backend, [*prelude, f"DELETE FROM audit_log WHERE id = {last}"])
    assert _verify(engine).intact  # a shorter chain is still a chain ...
    argv = ["audit", "verify", "--expect-head", head, "--db", database_url, "--as", ADMIN]
    code, _, err = run_cli(argv, capsys)
    assert code == 1 and "no row has the expected head" in err  # ... but not the one recorded


@pytest.mark.parametrize(
    "statement",
    [
        "REPLACE INTO audit_log (id, actor, at, entity, entity_id, action) "
        "VALUES (1, 'mallory', '2020-01-01', 'person', '1', 'insert')",
        "INSERT OR REPLACE INTO audit_log (id, actor, at, entity, entity_id, action) "
        "VALUES (1, 'mallory', '2020-01-01', 'person', '1', 'insert')",
        "INSERT INTO audit_log (id, actor, at, entity, entity_id, action) "
        "VALUES (1, 'mallory', '2020-01-01', 'person', '1', 'insert') "
        "ON CONFLICT(id) DO UPDATE SET actor = 'm'",
    ],
)
def test_sqlite_refuses_replace_over_an_audit_row(uow_factory, engine, backend, statement):
    if backend != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    _people(uow_factory, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert _verify(engine).intact


def test_forged_hash_and_writers_without_the_chain_function_are_refused(uow_factory, engine, backend):
    _people(uow_factory, 1)
    forged = (
        "INSERT INTO audit_log (actor, at, entity, entity_id, action, hash) "
        f"VALUES ('mallory', '2020-01-01', 'person', '9', 'insert', '{'a' * 64}')"
    )
    if backend == "sqlite":
        with pytest.raises(DBAPIError, match="computed by the database"), engine.begin() as conn:
            conn.exec_driver_sql(forged)
        # the sqlite3 shell (no desist_sha256) cannot append at all
        with pytest.raises(sqlite3.OperationalError, match="desist_sha256"):
            _owner_sql(engine, backend, [forged.replace(f", '{'a' * 64}'", ", NULL")])
    else:  # PostgreSQL overwrites whatever hash, id and time the writer gave
        with engine.begin() as conn:
            conn.exec_driver_sql(forged)
    assert _verify(engine).intact


def test_raw_sql_through_the_unit_of_work_is_refused(uow_factory):
    _people(uow_factory, 1)
    attempts = [
        lambda s: s.execute(text("UPDATE person SET sex = 'F'")),
        lambda s: s.connection().exec_driver_sql("DELETE FROM person"),
        lambda s: s.execute(text("WITH x AS (DELETE FROM person RETURNING id) SELECT * FROM x")),
    ]
    for attempt in attempts:
        with uow_factory("mallory") as uow, pytest.raises(PermissionError, match="refused SQL"):
            attempt(uow.session)
    with uow_factory("reader") as uow:  # reads, including row locks, are fine
        assert uow.session.execute(text("SELECT count(*) FROM person")).scalar_one() == 1
        assert uow.session.execute(select(Person).with_for_update()).scalars().one().sex == "M"


def test_restricted_role_cannot_touch_the_audit_log_but_can_do_casework(backend, database_url, engine):
    if backend != "postgresql":
        pytest.skip("a PostgreSQL role")
    app_engine = make_engine(database_url)

    @event.listens_for(app_engine, "connect")
    def _as_app(dbapi_connection, _record):  # what a login member of desist_app gets
        with dbapi_connection.cursor() as cur:
            cur.execute("SET ROLE desist_app")
        dbapi_connection.commit()

    try:
        with UnitOfWork(make_session_factory(app_engine), "app-user") as uow:
            uow.session.add(Person(prison_number="A0001AA", date_of_birth=dt.date(1980, 1, 1), sex="M"))
            uow.commit()
        for statement, why in [
            ("UPDATE audit_log SET actor = 'x'", "permission denied"),
            ("DELETE FROM audit_log", "permission denied"),
            ("ALTER TABLE audit_log DISABLE TRIGGER USER", "must be owner"),
            ("DROP TRIGGER audit_log_chain ON audit_log", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
        ]:
            with pytest.raises(DBAPIError, match=why), app_engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        app_engine.dispose()
    report = _verify(engine)
    assert report.intact and report.rows == 1
