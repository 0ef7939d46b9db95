"""Schema, migrations, unit of work and optimistic locking on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from desist.adapters import repository
from desist.adapters.migrate import current_revision, downgrade, head_revision, upgrade
from desist.adapters.orm import Base, Offering, Outcome, Person, Referral, on_dialect
from desist.domain.errors import Conflict


def _person(number: str = "A1234BC", **kw) -> Person:  # type: ignore[no-untyped-def]
    values = {"prison_number": number, "date_of_birth": dt.date(1980, 5, 17), "sex": "M"} | kw
    return Person(**values)


def test_migration_creates_exactly_the_orm_schema(engine) -> None:  # type: ignore[no-untyped-def]
    import warnings

    dialect = engine.dialect.name

    def this_database(obj, _name, _type, reflected, _other) -> bool:  # type: ignore[no-untyped-def]
        return reflected or on_dialect(obj, dialect)  # not an index declared for the other database

    with engine.connect() as conn, warnings.catch_warnings():
        # SQLite's reflection leaves indexes on an expression out (Alembic warns and skips them): checked
        # by name below
        warnings.filterwarnings("ignore", message=".*expression-based index")
        warnings.filterwarnings("ignore", message="Can't validate argument 'dialect_options'")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": this_database})
        diffs = compare_metadata(ctx, Base.metadata)
        names = {ix["name"] for ix in inspect(conn).get_indexes("person")}
        if dialect == "sqlite":
            names |= set(conn.exec_driver_sql("select name from sqlite_master where type='index'").scalars())
    assert diffs == []
    assert names >= {ix.name for ix in Person.__table__.indexes if on_dialect(ix, dialect)}
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_then_upgrade_round_trips(engine) -> None:  # type: ignore[no-untyped-def]
    downgrade(engine)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert "referral" in inspect(engine).get_table_names()


def test_commit_persists_and_exit_without_commit_rolls_back(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(_person("A0000AA"))
        uow.commit()
    with uow_factory("alice") as uow:
        uow.session.add(_person("B0000BB"))  # no commit
    with uow_factory("alice") as uow, pytest.raises(RuntimeError):
        uow.session.add(_person("C0000CC"))
        uow.session.flush()
        raise RuntimeError("boom")
    with uow_factory("reader") as uow:
        numbers = uow.session.scalars(select(Person.prison_number)).all()
    assert numbers == ["A0000AA"]


def test_commit_twice_is_refused(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.commit()
        with pytest.raises(RuntimeError, match="commits once"):
            uow.commit()


def test_duplicate_natural_key_is_a_one_line_conflict(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("alice") as uow:
        uow.session.add(_person("A0000AA"))
        uow.commit()
    with uow_factory("bob") as uow:
        uow.session.add(_person("A0000AA"))
        with pytest.raises(Conflict) as info:
            uow.commit()
    message = str(info.value)
    assert "\n" not in message and "prison_number" in message


def _referral(uow_factory) -> int:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        person = _person("A0000AA")
        offering = Offering(programme_code="HSP", site="HMP Whatton")
        uow.session.add_all([person, offering])
        uow.session.flush()
        referral = Referral(
            person_id=person.id, offering_id=offering.id, status="REFERRAL_STARTED", referrer="alice"
        )
        uow.session.add(referral)
        uow.commit()
    return referral.id


def test_edit_from_a_stale_read_is_a_conflict_and_nothing_is_lost(uow_factory) -> None:  # type: ignore[no-untyped-def]
    rid = _referral(uow_factory)
    seen = {}
    for who in ("alice", "bob"):  # both open the referral (e.g. in a form) and see version 1
        with uow_factory(who) as uow:
            seen[who] = repository.get(uow.session, Referral, rid).version
    with uow_factory("alice") as uow:
        repository.get(
            uow.session, Referral, rid, expected_version=seen["alice"]
        ).status = "REFERRAL_SUBMITTED"
        uow.commit()
    with (
        uow_factory("bob") as uow,
        pytest.raises(Conflict, match=r"referral \d+ was changed by someone else"),
    ):
        repository.get(uow.session, Referral, rid, expected_version=seen["bob"]).status = "WITHDRAWN"
    with uow_factory("reader") as uow:
        referral = uow.session.get(Referral, rid)
    assert (referral.status, referral.version) == ("REFERRAL_SUBMITTED", 2)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_interleaved_updates_conflict_on_version_column(uow_factory) -> None:  # type: ignore[no-untyped-def]
    # Only PostgreSQL lets two write transactions interleave; SQLite queues them (BEGIN IMMEDIATE).
    rid = _referral(uow_factory)
    first, second = uow_factory("alice"), uow_factory("bob")
    with first, second:
        a = first.session.get(Referral, rid)
        b = second.session.get(Referral, rid)
        a.status = "REFERRAL_SUBMITTED"
        first.commit()
        b.status = "WITHDRAWN"
        with pytest.raises(Conflict, match="referral was changed by someone else"):
            second.commit()
    with uow_factory("reader") as uow:
        referral = uow.session.get(Referral, rid)
    assert (referral.status, referral.version) == ("REFERRAL_SUBMITTED", 2)


def test_second_open_referral_for_same_person_and_offering_is_refused(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        person, offering = _person(), Offering(programme_code="HSP", site="HMP Whatton")
        uow.session.add_all([person, offering])
        uow.session.flush()
        uow.session.add(
            Referral(person_id=person.id, offering_id=offering.id, status="WITHDRAWN", referrer="a")
        )
        uow.session.add(
            Referral(person_id=person.id, offering_id=offering.id, status="REFERRAL_SUBMITTED", referrer="a")
        )
        uow.commit()  # a closed referral does not block a new one
        ids = (person.id, offering.id)
    with uow_factory("bob") as uow:
        uow.session.add(
            Referral(person_id=ids[0], offering_id=ids[1], status="REFERRAL_STARTED", referrer="b")
        )
        with pytest.raises(Conflict):
            uow.commit()


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"kind": "shoplifting"}, "kind"),
        ({"proven_date": dt.date(2019, 12, 31)}, "proven_after_offence"),
    ],
)
def test_check_constraints_refuse_bad_values(uow_factory, values, rule) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        person = _person()
        uow.session.add(person)
        uow.commit()
    row = {
        "person_id": person.id,
        "offence_date": dt.date(2020, 1, 1),
        "proven_date": dt.date(2020, 6, 1),
        "kind": "violent",
    } | values
    with uow_factory("bob") as uow:
        uow.session.add(Outcome(**row))
        with pytest.raises(Conflict):
            uow.commit()
