"""Men's names through the people import and export, on SQLite and PostgreSQL (migration 0010)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from desist.adapters.exporters import export, read_export
from desist.adapters.orm import Person
from desist.services.imports import ImportRejected, import_file
from tests.principals import importing


def _names(session_factory) -> dict[str, tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        rows = s.execute(select(Person.prison_number, Person.given_name, Person.family_name)).all()
    return {n: (g, f) for n, g, f in rows}


def test_names_import_trimmed_export_round_trip_and_survive_a_file_without_them(
    session_factory, engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text(
        "prison_number,given_name,family_name,date_of_birth,sex\n"
        "A0001AA,  John ,Smith,1970-01-01,M\n"
        "A0002AA,,O'Neill-Khan,1971-01-01,M\n"
        "A0003AA,,,1972-01-01,M\n"
    )
    report = import_file(importing(session_factory), "people", path)
    assert report.inserted == 3 and report.ignored_columns == ()
    assert _names(session_factory) == {
        "A0001AA": ("John", "Smith"),
        "A0002AA": (None, "O'Neill-Khan"),
        "A0003AA": (None, None),
    }
    frame = read_export(engine, "people")
    assert list(frame.columns[:4]) == ["prison_number", "pnc_number", "given_name", "family_name"]
    out = tmp_path / "out.csv"
    export(engine, "people", out)
    again = import_file(importing(session_factory), "people", out)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # an older file without the name columns changes nothing stored
    old = tmp_path / "old.csv"
    old.write_text("prison_number,date_of_birth,sex\nA0001AA,1970-01-01,M\n")
    assert import_file(importing(session_factory), "people", old).unchanged == 1
    assert _names(session_factory)["A0001AA"] == ("John", "Smith")


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("x" * 101, "longer than 100 characters"), ("Jo\x1b[31mhn", "control character")],
    ids=["long", "ansi"],
)
def test_a_bad_name_is_refused_with_row_and_column(session_factory, tmp_path, cell: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text(f"prison_number,family_name,date_of_birth,sex\nA0009AA,{cell},1970-01-01,M\n")
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "people", path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (1, "family_name") and reason in problem.reason
    assert _names(session_factory) == {}


def test_the_database_refuses_a_long_name_written_around_desist(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DBAPIError

    with engine.begin() as conn:
        conn.execute(text(
            "insert into person (prison_number, date_of_birth, sex, version, created_at, "
            "maintains_innocence, recognised_appellant, ldc) "
            "values ('A1', '1970-01-01', 'M', 1, '2020-01-01', false, false, false)"
        ))
    for value in ("x" * 101, "a\nb"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("update person set given_name = :v"), {"v": value})
