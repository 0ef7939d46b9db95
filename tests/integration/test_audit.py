"""Every insert, update and delete is audited (actor, entity, before, after); the log is append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from desist.adapters.orm import AuditLog, Person


def _audit(uow_factory) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with uow_factory("reader") as uow:
        return list(uow.session.scalars(select(AuditLog).order_by(AuditLog.id)))


def test_insert_update_delete_are_each_audited_with_actor_before_and_after(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        person = Person(
            prison_number="A1234BC", date_of_birth=dt.date(1980, 5, 17), sex="M", establishment="HMP Usk"
        )
        uow.session.add(person)
        uow.commit()
    with uow_factory("bob") as uow:
        uow.session.get(Person, person.id).establishment = "HMP Whatton"
        uow.commit()
    with uow_factory("carol") as uow:
        uow.session.delete(uow.session.get(Person, person.id))
        uow.commit()

    rows = _audit(uow_factory)
    assert [(r.actor, r.entity, r.entity_id, r.action) for r in rows] == [
        ("alice", "person", str(person.id), "insert"),
        ("bob", "person", str(person.id), "update"),
        ("carol", "person", str(person.id), "delete"),
    ]
    insert, upd, dele = rows
    assert insert.before is None
    assert insert.after["prison_number"] == "A1234BC" and insert.after["date_of_birth"] == "1980-05-17"
    assert insert.after["version"] == 1
    assert (upd.before["establishment"], upd.after["establishment"]) == ("HMP Usk", "HMP Whatton")
    assert (upd.before["version"], upd.after["version"]) == (1, 2)
    assert upd.before["prison_number"] == upd.after["prison_number"] == "A1234BC"
    assert dele.before["establishment"] == "HMP Whatton" and dele.after is None
    assert all(r.at is not None for r in rows)


def test_rolled_back_writes_leave_no_audit_rows(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(Person(prison_number="A1234BC", date_of_birth=dt.date(1980, 5, 17), sex="M"))
        uow.session.flush()  # audit row prepared in the transaction (written just before commit) ...
    assert _audit(uow_factory) == []  # ... and gone with it


def test_a_read_writes_no_audit_rows(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(Person(prison_number="A1234BC", date_of_birth=dt.date(1980, 5, 17), sex="M"))
        uow.commit()
    with uow_factory("bob") as uow:
        person = uow.session.scalars(select(Person)).one()
        person.establishment = None  # unchanged value: not a write
        uow.commit()
    assert [r.action for r in _audit(uow_factory)] == ["insert"]


def test_bulk_dml_through_the_session_is_refused(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow, pytest.raises(RuntimeError, match="bypasses the audit log"):
        uow.session.execute(update(Person).values(sex="F"))


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_database_rejects_changes_to_the_audit_log(uow_factory, engine, statement) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(Person(prison_number="A1234BC", date_of_birth=dt.date(1980, 5, 17), sex="M"))
        uow.commit()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert [r.actor for r in _audit(uow_factory)] == ["alice"]


def test_orm_delete_of_audit_rows_is_refused_too(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow, pytest.raises(RuntimeError):
        uow.session.execute(delete(AuditLog))


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_postgresql_rejects_truncating_the_audit_log(uow_factory, engine) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(Person(prison_number="A1234BC", date_of_birth=dt.date(1980, 5, 17), sex="M"))
        uow.commit()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    assert len(_audit(uow_factory)) == 1
