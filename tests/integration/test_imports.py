"""Imports are all-or-nothing, list every bad row, are idempotent, read CSV and Parquet, and round-trip."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from desist.adapters.exporters import export
from desist.adapters.orm import Assessment, AuditLog, Base, Outcome, Person
from desist.services.imports import ImportRejected, import_file
from tests.cli import ADMIN, seed_user
from tests.principals import importing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
ORDER = ("people", "sentences", "assessments", "programme-history", "outcomes")


def _counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in Base.metadata.tables.items()
        }


def _import_examples(session_factory) -> dict[str, tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    out = {}
    for kind in ORDER:
        r = import_file(importing(session_factory, "tester"), kind, EXAMPLES / f"{kind}.csv")
        out[kind] = (r.inserted, r.updated, r.unchanged)
    return out


def test_examples_import_and_reimport_changes_nothing(engine, session_factory) -> None:  # type: ignore[no-untyped-def]
    first = _import_examples(session_factory)
    assert first == {
        "people": (3, 0, 0),
        "sentences": (3, 0, 0),
        "assessments": (2, 0, 0),
        "programme-history": (2, 0, 0),
        "outcomes": (2, 0, 0),
    }
    after_first = _counts(engine)
    assert after_first["audit_log"] == 12 and after_first["person"] == 3
    second = _import_examples(session_factory)
    assert all(v == (0, 0, n) for v, n in zip(second.values(), (3, 3, 2, 2, 2), strict=True))
    assert _counts(engine) == after_first


def test_assessment_is_scored_and_stored_as_on_the_day(session_factory, uow_factory) -> None:  # type: ignore[no-untyped-def]
    _import_examples(session_factory)
    with uow_factory("reader") as uow:
        row = uow.session.scalars(
            select(Assessment).join(Person).where(Person.prison_number == "A1002AB")
        ).one()
    assert row.tool == "static99r" and row.assessed_on.isoformat() == "2024-06-18"
    assert row.inputs["sex"] == "M" and row.inputs["prior_sex_charges"] == 2  # sex filled from the person
    # age 39 -> 0; never lived with partner 1; prior non-sexual violence 1; 2 charges/1 conviction -> 1;
    # unrelated victim 1; male victim 1: total 5, level IVa (domain.md section 4)
    assert (row.outputs["total"], row.outputs["level"]) == (5, "IVa")


def test_a_bad_file_imports_nothing_and_lists_every_bad_row(session_factory, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    before = _counts(engine)
    bad = tmp_path / "outcomes.csv"
    bad.write_text(
        "prison_number,offence_date,proven_date,kind,disposal\n"
        "A1001AA,2025-02-11,2025-08-30,sexual_contact,custody\n"  # good
        "Z9999ZZ,2025-02-11,2025-08-30,violent,\n"  # unknown man
        "A1002AB,2025-13-01,2025-08-30,other,\n"  # bad date
        "A1002AB,2025-03-01,2025-01-30,shoplifting,\n"  # proven before offence; unknown kind
        "A1001AA,2025-02-11,2025-09-30,sexual_contact,\n"  # same key as row 1
        "A1003AC,2024-01-01,,violent,\n"  # proven date missing
    )
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "outcomes", bad)
    got = [(p.row, p.column, p.value) for p in info.value.problems]
    assert got == [
        (2, "prison_number", "Z9999ZZ"),
        (3, "offence_date", "2025-13-01"),
        (4, "kind", "shoplifting"),
        (4, "proven_date", "2025-01-30"),
        (5, "kind", "A1001AA/2025-02-11/sexual_contact"),
        (6, "proven_date", ""),
    ]
    reasons = {p.row: p.reason for p in info.value.problems}
    assert (
        "import people first" in reasons[2] and "YYYY-MM-DD" in reasons[3] and "repeats row 1" in reasons[5]
    )
    assert "6 problem(s) in 5 row(s); nothing was imported" in str(info.value)
    assert _counts(engine) == before


def test_missing_required_column_is_rejected(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "people.csv"
    bad.write_text("prison_number,sex\nA1001AA,M\n")
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "people", bad)
    assert [(p.row, p.column) for p in info.value.problems] == [(0, "date_of_birth")]


def test_bad_risk_tool_inputs_name_the_field(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    bad = tmp_path / "assessments.csv"
    bad.write_text(
        "prison_number,assessed_on,tool,inputs\n"
        'A1001AA,2023-10-02,rm2000,"{""age_at_commencement_of_risk"": 12}"\n'
        "A1001AA,2023-10-03,pni,not json\n"
    )
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "assessments", bad)
    columns = {(p.row, p.column) for p in info.value.problems}
    assert (1, "inputs.age_at_commencement_of_risk") in columns
    assert (1, "inputs.male_victim") in columns  # missing items are named too
    assert (2, "inputs") in columns


def test_changed_rows_are_updated_with_an_audit_trail(session_factory, uow_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    moved = tmp_path / "people.csv"
    moved.write_text((EXAMPLES / "people.csv").read_text().replace("HMP Usk", "HMP Whatton"))
    report = import_file(importing(session_factory, "records-clerk"), "people", moved)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    with uow_factory("reader") as uow:
        entry = uow.session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert entry.actor == "records-clerk" and entry.entity == "person"
    assert (entry.before["establishment"], entry.after["establishment"]) == ("HMP Usk", "HMP Whatton")


def test_parquet_with_typed_columns_imports_like_csv(session_factory, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    frame = pd.read_csv(EXAMPLES / "outcomes.csv", parse_dates=["offence_date", "proven_date"])
    frame.to_parquet(tmp_path / "outcomes.parquet", index=False)
    report = import_file(importing(session_factory), "outcomes", tmp_path / "outcomes.parquet")
    assert report.inserted == 2
    again = import_file(importing(session_factory), "outcomes", EXAMPLES / "outcomes.csv")  # same facts, CSV
    assert (again.inserted, again.unchanged) == (0, 2)
    with engine.connect() as conn:
        kinds = conn.execute(select(Outcome.kind).order_by(Outcome.id)).scalars().all()
    assert kinds == ["sexual_contact", "sexual_images"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips_through_import(session_factory, engine, tmp_path, suffix) -> None:  # type: ignore[no-untyped-def]
    _import_examples(session_factory)
    before = _counts(engine)
    for kind in ORDER:
        path = tmp_path / f"{kind}{suffix}"
        assert export(engine, kind, path) == {"people": 3, "sentences": 3}.get(kind, 2)
        report = import_file(importing(session_factory), kind, path)
        assert (report.inserted, report.updated) == (0, 0), kind
    assert _counts(engine) == before
    exported = pd.read_csv(tmp_path / "outcomes.csv") if suffix == ".csv" else None
    if exported is not None:
        original = pd.read_csv(EXAMPLES / "outcomes.csv")
        pd.testing.assert_frame_equal(exported[original.columns], original)
    assert export(engine, "audit_log", tmp_path / f"audit{suffix}") == before["audit_log"]


@pytest.mark.skipif(shutil.which("desist") is None, reason="desist console script not installed")
def test_cli_lists_every_bad_row_and_exits_2(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed_user(database_url, ADMIN)
    env = {**os.environ, "DESIST_DATABASE_URL": database_url, "DESIST_USER": ADMIN}
    bad = tmp_path / "people.csv"
    bad.write_text(
        "prison_number,date_of_birth,sex\nA1001AA,1971-03-14,X\nA1002AB,14/03/1971,M\nA1003AC,1970-01-01,M\n"
    )
    run = subprocess.run(
        ["desist", "import", "people", "--input", str(bad)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert (
        len(errors) == 3
        and "row 1, column 'sex'" in errors[0]
        and "row 2, column 'date_of_birth'" in errors[1]
    )
    assert "nothing was imported" in errors[2] and "Traceback" not in run.stderr
    good = subprocess.run(
        ["desist", "import", "people", "--input", str(EXAMPLES / "people.csv")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0 and "3 new" in good.stdout


@pytest.mark.parametrize(
    ("name", "file", "message"),
    [
        ("nonsense", "x.csv", "unknown table 'nonsense'"),
        ("outcome", "x.xlsx", "unknown export format '.xlsx'"),
    ],
)
def test_export_refuses_unknown_tables_and_formats(engine, tmp_path, name, file, message) -> None:  # type: ignore[no-untyped-def]
    from desist.domain.errors import InputError

    with pytest.raises(InputError, match=message):
        export(engine, name, tmp_path / file)


def test_unknown_kind_and_missing_file_are_one_line_errors(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desist.domain.errors import InputError

    with pytest.raises(InputError, match="unknown import kind 'offences'"):
        import_file(importing(session_factory), "offences", EXAMPLES / "outcomes.csv")
    with pytest.raises(InputError, match="no such file"):
        import_file(importing(session_factory), "people", tmp_path / "absent.csv")


def test_dry_run_reports_what_would_happen_and_writes_nothing(session_factory, engine) -> None:  # type: ignore[no-untyped-def]
    before = _counts(engine)
    report = import_file(importing(session_factory), "people", EXAMPLES / "people.csv", dry_run=True)
    assert (report.inserted, report.dry_run) == (3, True) and "nothing was written" in report.summary()
    assert _counts(engine) == before


def test_json_cells_are_audited_and_compared_as_json(engine, session_factory) -> None:  # type: ignore[no-untyped-def]
    """An assessment's inputs are a JSON object in its audit row, and a re-import finds them unchanged."""
    for kind in ("people", "assessments"):
        import_file(importing(session_factory), kind, EXAMPLES / f"{kind}.csv")
    with session_factory() as s:
        after = s.scalars(select(AuditLog.after).where(AuditLog.entity == "assessment")).first()
    assert isinstance(after["inputs"], dict) and after["inputs"]["sex"] == "M"
    again = import_file(importing(session_factory), "assessments", EXAMPLES / "assessments.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
