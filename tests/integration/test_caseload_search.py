"""The caseload search on both databases: the start of a prison number, PNC number or name, as byte-order
ranges served by the prefix indexes (migration 0011), within the user's organisation."""

from __future__ import annotations

import datetime as dt

import pytest

from desist.adapters.caseload_queries import _after_prefix, _search
from desist.adapters.orm import Person
from desist.domain.errors import InputError
from desist.services.caseload import search_people
from tests.principals import as_user, caseworker

MEN = [
    # prison number, PNC number, establishment, probation region, given name, family name
    ("A1234BC", "2001/0012345A", "HMP Whatton", None, None, None),
    ("A1235BC", None, "HMP Whatton", None, None, None),
    ("A1299ZZ", "1999/0000001Z", None, "North East", None, None),
    ("A13", None, "HMP Whatton", None, None, None),  # just after every A12...: not a match for "A12"
    ("A12", None, "HMP Usk", None, None, None),  # the prefix itself is a match
    ("B1234BC", "2001/0099999B", "HMP Usk", None, None, None),
    ("C0001AA", None, "HMP Whatton", None, "John", "Smith"),
    ("C0002AA", None, "HMP Whatton", None, "Joan", "Smithers"),
    ("C0003AA", None, "HMP Usk", None, "Smit", "Jones"),
    ("C0004AA", None, "HMP Whatton", None, None, "Smj"),  # 'j' follows 'i': outside every "smi" range
]


@pytest.fixture
def men(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory("setup") as uow:
        for number, pnc, establishment, region, given, family in MEN:
            uow.session.add(
                Person(
                    prison_number=number, pnc_number=pnc, date_of_birth=dt.date(1980, 5, 17), sex="M",
                    establishment=establishment, probation_region=region, given_name=given,
                    family_name=family,
                )
            )
        uow.commit()


def _found(uow_factory, query: str, who=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.prison_number for p in search_people(uow_factory(who or caseworker()), query)]


def test_a_number_prefix_finds_the_numbers_that_start_with_it(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _found(uow_factory, "a12") == ["A12", "A1234BC", "A1235BC", "A1299ZZ"]
    assert _found(uow_factory, "A1234") == ["A1234BC"]
    assert _found(uow_factory, "A1299ZZ") == ["A1299ZZ"]
    assert _found(uow_factory, "A1299ZZX") == []
    assert _found(uow_factory, "D1") == []


def test_pnc_numbers_match_by_prefix_whatever_the_case(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _found(uow_factory, "2001/00") == ["A1234BC", "B1234BC"]
    assert _found(uow_factory, "1999/0000001z") == ["A1299ZZ"]


def test_names_match_by_prefix_in_name_order(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _found(uow_factory, "SMI") == ["C0003AA", "C0001AA", "C0002AA"]  # Jones (given Smit), Smith...
    assert _found(uow_factory, "smith") == ["C0001AA", "C0002AA"]
    assert _found(uow_factory, "john smi") == ["C0001AA"]
    assert _found(uow_factory, "smith jo") == ["C0001AA", "C0002AA"]
    assert _found(uow_factory, "jo") == ["C0003AA", "C0001AA", "C0002AA"]


def test_wildcards_are_letters_to_look_for(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    assert _found(uow_factory, "A1_3") == []
    assert _found(uow_factory, "A1%") == []
    assert _found(uow_factory, "%%") == []


def test_the_search_keeps_to_the_users_organisation(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    whatton = as_user("referrer", org="HMP Whatton")
    assert _found(uow_factory, "A1", whatton) == ["A1234BC", "A1235BC", "A13"]
    north_east = as_user("referrer", org="north  EAST")  # names compare without case or extra spaces
    assert _found(uow_factory, "A1", north_east) == ["A1299ZZ"]
    assert _found(uow_factory, "smi", whatton) == ["C0001AA", "C0002AA"]


def test_too_short_or_too_long_is_one_line(uow_factory, men) -> None:  # type: ignore[no-untyped-def]
    for query in ("A", " ", "A" * 101):
        with pytest.raises(InputError, match="at least 2 and at most 100"):
            search_people(uow_factory(caseworker()), query)


def test_postgresql_serves_every_prefix_from_an_index(engine, men, backend) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("the plan of PostgreSQL's pattern indexes")
    stmt = _search("postgresql", 1, (True,) * 4, False).compile(engine)
    params = {"up0": "A12", "up0_after": "A13", "low0": "a12", "low0_after": "a13", "limit": 50}
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # ten men: make the planner show what it can use
        conn.exec_driver_sql("SET enable_indexscan = off")  # not the name order of another index
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {stmt}", params))
    for name in ("prison_number", "pnc_number", "family_name", "given_name"):
        assert f"ix_person_{name}_prefix" in plan


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("A12", "A13"),
        ("AZ", "A["),
        ("A\U0010ffff", "B"),
        ("\U0010ffff\U0010ffff", None),
        ("", None),
        ("A\ud7ff", "A\ue000"),  # the next character skips the surrogates
    ],
)
def test_after_prefix(prefix: str, after: str | None) -> None:
    assert _after_prefix(prefix) == after
