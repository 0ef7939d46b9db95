"""Units of work that only read (``with uow.reading():``): no write lock on SQLite, nothing written.

SQLite's writers take the database's write lock when their transaction begins (``BEGIN IMMEDIATE``), so
writers queue instead of deadlocking; a page view must not queue behind them (nor behind other page views),
so a reading unit of work begins its transaction deferred and reads a snapshot.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import create_engine, select

from desist.adapters.orm import Person
from desist.services.caseload import person_page, search_people
from tests.principals import caseworker


def _man(uow_factory, number: str = "A1234BC") -> int:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        p = Person(prison_number=number, date_of_birth=dt.date(1980, 5, 17), sex="M", establishment="HMP Usk")
        uow.session.add(p)
        uow.commit()
        return p.id


def test_a_reading_unit_of_work_refuses_to_commit_and_flushes_nothing(uow_factory) -> None:  # type: ignore[no-untyped-def]
    man = _man(uow_factory)
    uow = uow_factory("reader")
    with uow.reading():
        p = uow.people.get(man)
        p.establishment = "HMP Whatton"
        # a query would autoflush the change in a writing unit of work; not here
        assert uow.session.scalar(select(Person.establishment).where(Person.id == man)) == "HMP Usk"
        with pytest.raises(RuntimeError, match="writes nothing"):
            uow.commit()
    with uow:  # the same unit of work entered plainly writes again
        uow.people.get(man).establishment = "HMP Whatton"
        uow.commit()
    with uow_factory("check") as check:
        assert check.people.get(man).establishment == "HMP Whatton"


def test_sqlite_readers_do_not_wait_for_a_writer(database_url: str, backend: str, uow_factory) -> None:  # type: ignore[no-untyped-def]
    if backend != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    man = _man(uow_factory)
    holder = create_engine(database_url)
    conn = holder.connect()
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # another process writing, not yet committed
    conn.exec_driver_sql(
        "INSERT INTO person (prison_number, date_of_birth, sex, version, created_at, maintains_innocence, "
        "recognised_appellant, ldc) VALUES ('A1299ZZ', '1970-01-01', 'M', 1, '2020-01-01', 0, 0, 0)"
    )
    try:
        started = time.monotonic()
        page = person_page(uow_factory(caseworker()), man)
        found = [p.prison_number for p in search_people(uow_factory(caseworker()), "A12")]
        took = time.monotonic() - started
    finally:
        conn.rollback()
        conn.close()
        holder.dispose()
    assert page.person.prison_number == "A1234BC"
    assert found == ["A1234BC"]  # the writer's row is not committed: not seen
    assert took < 5, f"readers waited {took:.1f} s for the writer's lock"


def test_postgresql_reads_without_a_transaction_and_hands_the_connection_back_transactional(
    uow_factory, backend
) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("SQLite reads in a deferred transaction")
    uow = uow_factory("reader")
    with uow.reading():
        dbapi = uow.session.connection().connection.dbapi_connection
        assert dbapi.autocommit  # no BEGIN/ROLLBACK round trips: each statement reads committed data
    assert not dbapi.autocommit  # back in the pool as every writer expects it
    with uow:
        assert not uow.session.connection().connection.dbapi_connection.autocommit
