"""person.ldc (learning disability or challenges) end to end, on SQLite and PostgreSQL.

Schema (migration 0003), the people import and export, ``person add --ldc`` / ``person set-flags
--ldc/--no-ldc`` (audited), and the Core SOTP evaluation cohort built from the database leaving LDC men
out of the comparison pool (domain.md: Core was not for them; they went to Becoming New Me).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, text

from desist.adapters.analysis import AnalysisTables
from desist.adapters.engine import make_session_factory
from desist.adapters.exporters import export, read_export
from desist.adapters.migrate import current_revision, downgrade, head_revision, upgrade
from desist.adapters.orm import AuditLog, Base, Person
from desist.services.casework import register_person, set_person_flags
from desist.services.demo import load_population
from desist.services.imports import ImportRejected, import_file
from desist.synth import generate_population
from desist.synth.cohort import evaluation_cohort, tables_from_population
from desist.synth.export import write_import_files
from tests.cli import CASEWORK, seed_user
from tests.cli import run_cli as _cli
from tests.principals import admin, importing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
BARE_INSERT = (
    "INSERT INTO person (prison_number, date_of_birth, sex, created_at, version) "
    "VALUES ('A0001AA', '1970-01-01', 'M', '2020-01-01 00:00:00', 1)"
)


def _ldc(session_factory) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        return {number: ldc for number, ldc in s.execute(select(Person.prison_number, Person.ldc)).all()}


# --- schema ---------------------------------------------------------------------------------------------


def test_ldc_is_not_null_with_a_false_server_default(engine) -> None:  # type: ignore[no-untyped-def]
    column = {c["name"]: c for c in inspect(engine).get_columns("person")}["ldc"]
    assert column["nullable"] is False
    assert str(column["default"]).strip("'").lower() in ("0", "false"), column
    with engine.begin() as conn:
        conn.execute(text(BARE_INSERT))  # a writer that knows nothing of the flag
        assert conn.execute(text("SELECT ldc FROM person")).scalar_one() in (False, 0)


def test_migration_0003_round_trip_keeps_people(engine, session_factory) -> None:  # type: ignore[no-untyped-def]
    assert current_revision(engine) == head_revision()
    downgrade(engine, "0002")
    columns = {c["name"] for c in inspect(engine).get_columns("person")}
    assert "ldc" not in columns and {"maintains_innocence", "recognised_appellant"} <= columns
    with engine.begin() as conn:
        conn.execute(text(BARE_INSERT))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _ldc(session_factory) == {"A0001AA": False}
    downgrade(engine, "0002")  # and back: only the column goes, the man stays
    with engine.connect() as conn:
        assert conn.execute(text("SELECT prison_number FROM person")).scalars().all() == ["A0001AA"]
    upgrade(engine)
    assert {c["name"] for c in inspect(engine).get_columns("person")} == set(
        Base.metadata.tables["person"].c.keys()
    )


# --- import and export ----------------------------------------------------------------------------------


def test_example_people_file_carries_ldc_and_export_round_trips(session_factory, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    assert report.inserted == 3 and report.ignored_columns == ()
    assert _ldc(session_factory) == {"A1001AA": False, "A1002AB": False, "A1003AC": True}
    frame = read_export(engine, "people")
    assert frame.columns[-1] == "ldc"
    assert frame.set_index("prison_number")["ldc"].map(bool).to_dict() == _ldc(session_factory)
    for suffix in (".csv", ".parquet"):
        export(engine, "people", tmp_path / f"people{suffix}")
        again = import_file(importing(session_factory), "people", tmp_path / f"people{suffix}")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3), suffix


def test_ldc_spellings_empty_cells_and_a_bad_value(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text(
        "prison_number,date_of_birth,sex,ldc\nA0001AA,1970-01-01,M,YES\nA0002AA,1971-01-01,M,0\n"
        "A0003AA,1972-01-01,M,\n"
    )
    import_file(importing(session_factory), "people", path)
    assert _ldc(session_factory) == {"A0001AA": True, "A0002AA": False, "A0003AA": False}
    bad = tmp_path / "bad.csv"
    bad.write_text("prison_number,date_of_birth,sex,ldc\nA0009AA,1970-01-01,M,IQ 75\n")
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "people", bad)
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [(1, "ldc", "IQ 75")]
    assert "expected true/false" in info.value.problems[0].reason
    assert "A0009AA" not in _ldc(session_factory)


def test_a_file_without_the_column_keeps_stored_ldc(session_factory, uow_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    older = tmp_path / "people.csv"  # the 0002 layout (innocence flags, no ldc), plus one new man
    older.write_text(
        "prison_number,date_of_birth,sex,establishment,probation_region,maintains_innocence,recognised_appellant\n"
        "A1003AC,1962-07-30,M,,North East,false,true\n"
        "A9999ZZ,1990-01-01,M,HMP Usk,,false,false\n"
    )
    report = import_file(importing(session_factory), "people", older)
    assert (report.inserted, report.updated, report.unchanged) == (1, 0, 1)
    assert _ldc(session_factory) == {"A1001AA": False, "A1002AB": False, "A1003AC": True, "A9999ZZ": False}
    stated = tmp_path / "stated.csv"  # a file that states the column is the truth for it (audited)
    stated.write_text(
        "prison_number,date_of_birth,sex,probation_region,ldc\nA1003AC,1962-07-30,M,North East,false\n"
    )
    report = import_file(importing(session_factory, "records.clerk"), "people", stated)
    assert (report.updated, _ldc(session_factory)["A1003AC"]) == (1, False)
    with session_factory() as s:
        last = s.scalars(select(AuditLog).where(AuditLog.actor == "records.clerk")).one()
    assert (last.action, last.before["ldc"], last.after["ldc"]) == ("update", True, False)


# --- services and CLI -----------------------------------------------------------------------------------


def test_register_and_set_ldc_are_stored_and_audited(session_factory, uow_factory) -> None:  # type: ignore[no-untyped-def]
    view = register_person(
        uow_factory("reception"),
        prison_number="A0001AA",
        date_of_birth=dt.date(1970, 1, 1),
        sex="M",
        ldc=True,
    )
    assert (view.ldc, view.maintains_innocence, view.version) == (True, False, 1)
    changed = set_person_flags(uow_factory("psychologist"), person="A0001AA", ldc=False, expected_version=1)
    assert (changed.ldc, changed.version) == (False, 2)
    assert set_person_flags(uow_factory("psychologist"), person="A0001AA", ldc=False).version == 2  # no-op
    with session_factory() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.entity == "person").order_by(AuditLog.id)).all()
    assert [(a.actor, a.action) for a in log] == [("reception", "insert"), ("psychologist", "update")]
    assert log[0].after["ldc"] is True
    assert (log[1].before["ldc"], log[1].after["ldc"]) == (True, False)
    assert log[1].before["maintains_innocence"] == log[1].after["maintains_innocence"] is False


def test_cli_person_add_ldc_and_set_flags(database_url, session_factory, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    monkeypatch.setenv("DESIST_USER", "tester")
    seed_user(database_url, "tester", *CASEWORK)
    add = ["person", "add", "--prison-number", "A0001AA", "--date-of-birth", "1970-01-01",
           "--ldc", "--appellant"]
    assert _cli(add, capsys)[:2] == (0, "person 1: A0001AA (recognised appellant, LDC)\n")
    code, out, _ = _cli(["person", "set-flags", "A0001AA", "--no-ldc", "--expect-version", "1"], capsys)
    assert (code, out) == (0, "person 1: A0001AA (recognised appellant) (version 2)\n")
    code, out, _ = _cli(["person", "set-flags", "A0001AA", "--ldc", "--not-appellant"], capsys)
    assert (code, out) == (0, "person 1: A0001AA (LDC) (version 3)\n")
    assert _ldc(session_factory) == {"A0001AA": True}
    with session_factory() as s:
        updates = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.actor == "tester", AuditLog.action == "update")
        )
    assert updates == 2
    code, _, err = _cli(["person", "set-flags", "A0001AA"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--ldc/--no-ldc" in err


# --- the evaluation cohort read back from the database --------------------------------------------------


def test_cohort_from_the_database_leaves_ldc_men_out_of_the_core_comparison(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pop = generate_population(1_000, seed=3)
    load_population(engine, write_import_files(pop, "2024-12-31", tmp_path), principal=admin())
    with make_session_factory(engine)() as session:
        tables = AnalysisTables(session).tables(dt.date(2024, 12, 31))
    stored = tables["people"].set_index("prison_number")["ldc"]
    assert stored.dtype == bool
    assert stored.to_dict() == pop.men.set_index("prison_number")["ldc"].to_dict()

    cohort = evaluation_cohort(tables, "2024-12-31")
    ldc_men = set(stored.index[stored])
    assert len(cohort) > 50 and not set(cohort["prison_number"]) & ldc_men
    # the same cohort as from the population in memory: the database round trip keeps the flag
    memory = evaluation_cohort(tables_from_population(pop), "2024-12-31")
    assert sorted(cohort["prison_number"]) == sorted(memory["prison_number"])
    # without the flag (as before migration 0003) LDC men eligible on every other rule were in the pool
    unflagged = evaluation_cohort({**tables, "people": tables["people"].drop(columns="ldc")}, "2024-12-31")
    extra = set(unflagged["prison_number"]) - set(cohort["prison_number"])
    assert extra and extra <= ldc_men
    assert set(unflagged.loc[unflagged["treated"] == 1, "prison_number"]) == set(
        cohort.loc[cohort["treated"] == 1, "prison_number"]
    )
    assert pd.Series(sorted(extra)).isin(unflagged.loc[unflagged["treated"] == 0, "prison_number"]).all()
