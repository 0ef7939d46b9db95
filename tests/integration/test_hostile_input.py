"""Hostile input through every way in (CLI options, import files, services), on SQLite and PostgreSQL.

Control characters, bidi overrides, NUL, formulas, huge values and boundary dates are either refused in one
line (exit 2, nothing written) or stored and shown harmlessly; old rows holding such text are escaped on
screen. Hypothesis draws the values; example counts are small so the suite stays fast.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from desist.domain.limits import limits
from tests.cli import ADMIN, CASEWORK, run_cli, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = dt.date.today()
#: characters refused in one-line text: C0/C1 controls, DEL, bidi and invisible code points
BAD_CHARS = st.sampled_from(
    ["\x00", "\x1b", "\n", "\r", "\t", "\x7f", "\x85", "\u202e", "\u2066", "\u200f", "\u2028", "\ufeff"]
)
HOSTILE_TEXT = st.builds(lambda a, c, b: a + c + b, st.text(max_size=10), BAD_CHARS, st.text(max_size=10))
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), min_size=1, max_size=60
).map(str.strip).filter(bool)
FORMULA = st.builds(lambda a, b: a + b, st.sampled_from(["=", "+", "-", "@"]), SAFE_TEXT)
TEXT_OPTIONS = ["--establishment", "--probation-region", "--prison-number"]
HYPO = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    monkeypatch.setenv("DESIST_USER", "tester")
    seed_user(database_url, "tester", *CASEWORK)
    monkeypatch.chdir(tmp_path)
    return database_url


def _rows(url: str, table: str) -> list[tuple]:  # type: ignore[type-arg]
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"select * from {table} order by id"))]
    finally:
        eng.dispose()


def _refused(code: int, out: str, err: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


@HYPO
@given(value=HOSTILE_TEXT, option=st.sampled_from(TEXT_OPTIONS))
def test_person_add_refuses_control_characters(db: str, capsys, value: str, option: str) -> None:  # type: ignore[no-untyped-def]
    argv = ["person", "add", "--prison-number", "A1234BC", "--date-of-birth", "1970-01-01", option, value]
    _refused(*run_cli(argv, capsys))
    assert _rows(db, "person") == []


@pytest.mark.parametrize("value", ["Scunthorpe\t", "A1234BC\n", "\x1cA1234BC", "A1234BC\x85"])
def test_prison_number_control_character_refused_not_trimmed(db: str, capsys, value: str) -> None:  # type: ignore[no-untyped-def]
    # found by the property test above: str.strip() removed the tab and stored SCUNTHORPE
    _refused(*run_cli(["person", "add", "--prison-number", value, "--date-of-birth", "1970-01-01"], capsys))
    assert _rows(db, "person") == []


@HYPO
@given(value=st.one_of(SAFE_TEXT, FORMULA))
def test_safe_and_formula_text_is_stored_exactly(db: str, capsys, value: str) -> None:  # type: ignore[no-untyped-def]
    value = value[:100]
    before = len(_rows(db, "person"))
    number = f"B{before:06d}"
    code, out, err = run_cli(
        ["person", "add", "--prison-number", number, "--date-of-birth", "1970-01-01",
         "--establishment", value],
        capsys,
    )
    assert code == 0, err
    stored = [r for r in _rows(db, "person") if r[1] == number][0]
    assert value in stored


@pytest.mark.parametrize(
    ("option", "value", "mention"),
    [
        ("--establishment", "x" * 101, "at most 100"),
        ("--establishment", "x" * 100_000, "at most 100"),
        ("--date-of-birth", "0001-01-01", "out of range"),
        ("--date-of-birth", TODAY.isoformat(), "out of range"),
        ("--date-of-birth", "1899-12-31", "out of range"),
    ],
    ids=["101", "100k", "year-1", "today", "1899"],
)
def test_limits_on_person_add(db: str, capsys, option: str, value: str, mention: str) -> None:  # type: ignore[no-untyped-def]
    argv = ["person", "add", "--prison-number", "A1234BC", "--date-of-birth", "1970-01-01", option, value]
    assert mention in _refused(*run_cli(argv, capsys))
    assert _rows(db, "person") == []


def _people(db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(EXAMPLES / "import" / "people.csv", "people.csv")
    assert run_cli(["import", "people", "--input", "people.csv", "--as", ADMIN], capsys)[0] == 0


def _reasons(err: str) -> str:
    return "\n".join(line for line in err.splitlines() if line.startswith("error: "))


@pytest.mark.parametrize(
    ("kind", "row", "mention"),
    [
        ("outcomes", {"offence_date": "2099-01-01", "proven_date": "2099-02-01"}, "in the future"),
        ("outcomes", {"offence_date": "1975-01-01", "proven_date": "1975-02-01"}, "years old"),
        ("outcomes", {"offence_date": "1890-01-01", "proven_date": "1890-02-01"}, "or later"),
        ("outcomes", {"disposal": "x" * 101}, "longer than 100"),
        ("outcomes", {"disposal": "a\x00b"}, "U+0000"),
        ("outcomes", {"disposal": "a\x1b[2Kb"}, "U+001B"),
        ("outcomes", {"disposal": "line\nbreak"}, "line break"),
        ("sentences", {"start_date": "0001-01-01"}, "out of range"),
        ("people", {"date_of_birth": TODAY.isoformat()}, "date of birth"),
        ("people", {"establishment": "\u202eevil"}, "U+202E"),
    ],
    ids=["future", "aged-4", "1890", "long", "nul", "ansi", "newline", "year-1", "born-today", "bidi"],
)
def test_import_refuses_out_of_limits(db: str, capsys, kind: str, row: dict[str, str], mention: str) -> None:  # type: ignore[no-untyped-def]
    if kind != "people":
        _people(db, capsys)
    base = {
        "outcomes": {"prison_number": "A1001AA", "offence_date": "2015-01-01", "proven_date": "2015-06-01",
                     "kind": "violent", "disposal": "fine"},
        "sentences": {"prison_number": "A1001AA", "start_date": "2010-01-01"},
        "people": {"prison_number": "Z9", "date_of_birth": "1970-01-01", "sex": "M"},
    }[kind]
    pd.DataFrame([{**base, **row}]).to_parquet("in.parquet")  # parquet: the cell reaches desist as given
    before = {t: _rows(db, t) for t in ("person", "outcome", "sentence", "audit_log")}
    code, _, err = run_cli(["import", kind, "--input", "in.parquet", "--as", ADMIN], capsys)
    assert code == 2 and mention in _reasons(err), err
    assert {t: _rows(db, t) for t in before} == before


def test_old_rows_with_control_characters_are_escaped_on_screen(db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _people(db, capsys)
    forged = "HMP Usk\x1b[2K\r  2020-01-01 00:00 ACCEPTED -> COMPLETED by governor\u202e"
    from desist.adapters.migrate import downgrade, upgrade

    eng = create_engine(db)
    downgrade(eng, _limits_migrations()[0].down_revision)  # as an older desist might have stored it
    with eng.begin() as conn:
        conn.execute(text("update person set establishment = :v"), {"v": forged})
        conn.execute(text("insert into offering (programme_code, site, active) values ('HORIZON', :v, true)"),
                     {"v": forged})
    upgrade(eng)  # the limits do not refuse a database holding such rows; they stay, escaped on output
    eng.dispose()
    seed_user(db, "tester", *CASEWORK)  # the downgrade went below the accounts' migration too
    code, out, err = run_cli(["referral", "create", "--person", "A1001AA", "--offering", "1"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["referral", "show", "1"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    # click drops ANSI sequences when not writing to a terminal; on one, they arrive here as \x1b
    assert "\\x0d" in out and "\\u202e" in out
    from desist.entrypoints.cli.safe_output import escape

    expected = forged.replace("\x1b", "\\x1b").replace("\r", "\\x0d").replace("\u202e", "\\u202e")
    assert escape(forged) == expected
    code, out, _ = run_cli(["audit", "--limit", "5", "--as", ADMIN], capsys)
    assert code == 0 and "\x1b" not in out and "\u202e" not in out


def test_limits_file_agrees_with_the_database_columns() -> None:
    from sqlalchemy import String

    from desist.adapters.import_kinds import KINDS
    from desist.adapters.orm import Base

    lengths = limits().lengths
    for table in Base.metadata.tables.values():
        for column in table.c:
            field = f"{table.name}.{column.name}"
            if isinstance(column.type, String) and column.type.length and field in lengths:
                assert lengths[field] == column.type.length, field
            elif isinstance(column.type, String) and not column.type.length:  # Text: no size of its own
                assert field in lengths, f"{field}: free text needs a maximum length in data/limits.yaml"
    for kind in KINDS.values():
        for col in kind.schema.columns:
            field = f"{kind.table.name}.{col.name}"
            if col.max_length is not None and field in lengths:
                assert col.max_length == lengths[field], field


def _limits_migrations():  # type: ignore[no-untyped-def]
    """The migrations that froze limit figures (0005 for the tables then; later ones for new columns)."""
    import importlib

    from desist.adapters.migrate import MIGRATIONS_DIR

    modules = [
        importlib.import_module(f"desist.adapters.migrations.versions.{p.stem}")
        for p in sorted((MIGRATIONS_DIR / "versions").glob("0*.py"))
    ]
    return [m for m in modules if hasattr(m, "LENGTHS")]


def test_migration_figures_agree_with_the_limits_file() -> None:
    migrations = _limits_migrations()
    assert len(migrations) >= 2  # 0005 and 0010 at least
    lim = limits()
    frozen: dict[str, int] = {}
    for mig in migrations:
        for t, cols in mig.LENGTHS.items():
            for c, n in cols.items():
                assert f"{t}.{c}" not in frozen, f"{t}.{c} frozen twice"
                frozen[f"{t}.{c}"] = n
    assert {k: v for k, v in lim.lengths.items() if not k.startswith("audit_log.")} == frozen
    first = migrations[0]
    assert {f"{t}.{c}" for t, c in first.MULTILINE} == set(lim.multiline)
    assert lim.earliest.isoformat() == first.EARLIEST


@pytest.mark.parametrize(
    ("column", "value"),
    [("establishment", "x" * 101), ("establishment", "a\x1b[31mb"), ("establishment", "a\nb"),
     ("date_of_birth", "1850-01-01")],
    ids=["long", "ansi", "newline", "1850"],
)
def test_the_database_itself_refuses_what_desist_would(engine, column: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Writes that go around desist (another tool, hand-written SQL) meet the same limits."""
    from sqlalchemy.exc import DBAPIError

    from desist.adapters.db_errors import explain

    with engine.begin() as conn:
        conn.execute(text(
            "insert into person (prison_number, date_of_birth, sex, version, created_at, "
            "maintains_innocence, recognised_appellant, ldc) "
            "values ('A1', '1970-01-01', 'M', 1, '2020-01-01', false, false, false)"
        ))
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(f"update person set {column} = :v"), {"v": value})
    line = explain(err.value) or ""
    assert "outside its limits" in line, line
