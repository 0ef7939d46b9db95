"""Hostile input to the `desist` command line: one line on stderr, exit 2, nothing written, no traceback.

Each case runs the real entry point (``desist.entrypoints.cli.main``, the console script's function) in an
empty folder holding only the files the case needs, and checks that the folder is unchanged afterwards.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desist.entrypoints.cli.app import main
from tests.cli import ADMIN, CASEWORK, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UNREACHABLE_PG = "postgresql+psycopg://nobody@127.0.0.1:1/x"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else -1) for p in folder.rglob("*")}


def assert_refused(code: int, out: str, err: str, *mentions: str) -> None:
    """Exit 2, nothing on stdout, exactly one `error:` line naming what was wrong, no traceback."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert out == "", out
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), lines[0]
    for text in mentions:
        assert text in lines[0], (text, lines[0])


def osp_records() -> list[dict]:
    return json.loads((EXAMPLES / "risk_osp.json").read_text())


def write_csv(path: Path, sep: str) -> None:
    recs = osp_records()
    keys = list(dict.fromkeys(k for r in recs for k in r))
    rows = [sep.join(keys)] + [sep.join("" if r.get(k) is None else str(r[k]) for k in keys) for r in recs]
    path.write_text("\n".join(rows) + "\n")


# ---------------------------------------------------------------------------------------- record files
def _huge_int(folder: Path) -> str:
    text = json.dumps(osp_records()[:1]).replace('"age": 30', '"age": 1' + "0" * 5000)
    (folder / "in.json").write_text(text)
    return "in.json"


def _deep(folder: Path) -> str:
    (folder / "in.json").write_text("[" * 100_000 + "]" * 100_000)
    return "in.json"


def _semicolons(folder: Path) -> str:
    write_csv(folder / "in.csv", ";")
    return "in.csv"


def _tabs(folder: Path) -> str:
    write_csv(folder / "in.csv", "\t")
    return "in.csv"


def _garbage_parquet(folder: Path) -> str:
    (folder / "in.parquet").write_bytes(bytes(range(256)) * 3)
    return "in.parquet"


def _repeated_column(folder: Path) -> str:
    (folder / "in.csv").write_text("id,sex,age,age\nP1,M,30,40\n")
    return "in.csv"


def _object(folder: Path) -> str:
    (folder / "in.json").write_text('{"id": "P-1"}')
    return "in.json"


@pytest.mark.parametrize("command", ["risk", "recommend"])
@pytest.mark.parametrize(
    ("make", "mention"),
    [
        (_huge_int, "a number too long"),
        (_deep, "nested too deeply"),
        (_semicolons, "separated by semicolons"),
        (_tabs, "separated by tabs"),
        (_garbage_parquet, "cannot be read"),
        (_object, "expected a JSON list"),
        (_repeated_column, "'age' appears twice"),
    ],
    ids=["int-5000-digits", "nested-100000", "semicolon-csv", "tab-csv", "binary-garbage", "json-object",
         "repeated-column"],
)
def test_bad_record_file(command, make, mention, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = make(tmp_path)
    before = listing(tmp_path)
    argv = [command, "--input", name] + (["--tool", "osp"] if command == "risk" else [])
    assert_refused(*run(argv, capsys), name, mention)
    assert listing(tmp_path) == before


@pytest.mark.parametrize("target", ["folder", "no/such/dir/rejects.csv", "in.json", "./in.json"])
def test_rejects_file_that_cannot_be_written(target, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    recs = osp_records()
    recs[0]["contact_adult_sanctions"] = -3
    (tmp_path / "in.json").write_text(json.dumps(recs))
    (tmp_path / "folder").mkdir()
    before = listing(tmp_path)
    argv = ["risk", "--tool", "osp", "--input", "in.json", "--on-error", "skip", "--rejects", target]
    assert_refused(*run(argv, capsys), "--rejects", str(Path(target)))
    assert listing(tmp_path) == before


# ---------------------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        (["risk", "--tool", "xyz", "--input", "x.json"], ("desist risk", "--tool", "xyz")),
        (["risk", "--tool", "osp", "--input", "x.json", "--bogus"], ("desist risk", "--bogus")),
        (["risk", "--tool", "osp"], ("desist risk", "--input")),
        (["recommend", "--input", "x.json", "--format", "xml"], ("desist recommend", "--format")),
        (["frobnicate"], ("desist", "frobnicate")),
        (["person", "list"], ("desist person", "list")),
        (["audit", "--limit", "0"], ("desist audit", "--limit")),
        (["demo", "--men", "many"], ("--men", "many")),
    ],
    ids=["bad-choice", "unknown-option", "missing-option", "bad-format", "unknown-command",
         "unknown-subcommand", "limit-0", "men-not-a-number"],
)
def test_usage_error_is_one_line(argv, mentions, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert_refused(*run(argv, capsys), *mentions)
    assert listing(tmp_path) == {}


def test_unexpected_exception_is_one_line_exit_1_with_traceback_file(tmp_path, monkeypatch, capsys):
    """A bug is not a user error: exit 1, one line saying so, and the traceback kept in a file."""
    import desist.adapters.record_stream as record_stream

    def broken(path):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(record_stream, "read_chunks", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("DESIST_DEBUG", raising=False)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    code, out, err = run(["risk", "--tool", "osp", "--input", "x.json"], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "bug" in lines[0] and "ZeroDivisionError: boom" in lines[0]
    crash = next(tmp_path.glob("desist-crash-*.txt"))
    assert str(crash) in lines[0]
    assert "Traceback" in crash.read_text() and "Traceback" not in err


# ---------------------------------------------------------------------------------------- databases
@pytest.mark.parametrize(
    ("url", "mentions"),
    [
        (UNREACHABLE_PG, ("127.0.0.1:1", "cannot connect")),
        ("sqlite:////no/such/dir/x.db", ("/no/such/dir", "does not exist")),
        ("not a url", ("--db or DESIST_DATABASE_URL", "not a database URL")),
        ("foo://x", ("driver 'foo'",)),
        ("sqlite:///folder", ("is a folder",)),
        ("sqlite:///garbage.db", ("garbage.db", "file is not a database")),
    ],
    ids=["unreachable-postgres", "missing-folder", "malformed", "unknown-driver", "folder", "not-sqlite"],
)
@pytest.mark.parametrize(
    "command",
    [["db", "init"], ["db", "status"], ["import", "people", "--input", "people.csv"], ["audit"],
     ["person", "add", "--prison-number", "A1234BC", "--date-of-birth", "1980-01-01", "--as", "tester"]],
    ids=["db-init", "db-status", "import", "audit", "person-add"],
)
def test_bad_database(command, url, mentions, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    (tmp_path / "folder").mkdir()
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 50)
    shutil.copy(EXAMPLES / "import" / "people.csv", tmp_path / "people.csv")
    before = listing(tmp_path)
    assert_refused(*run([*command, "--db", url], capsys), *mentions)
    assert listing(tmp_path) == before


def test_bad_database_url_from_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESIST_DATABASE_URL", "garbage")
    assert_refused(*run(["db", "status"], capsys), "DESIST_DATABASE_URL")
    assert listing(tmp_path) == {}


def test_casework_command_does_not_create_a_missing_sqlite_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    argv = ["person", "add", "--prison-number", "A1234BC", "--date-of-birth", "1980-01-01", "--as", "tester"]
    assert_refused(*run(argv, capsys), "desist.db", "desist db init")
    assert listing(tmp_path) == {}


# ------------------------------------------------------------------------------ import, export, audit
@pytest.fixture()
def initialised(tmp_path, monkeypatch, capsys):
    """An initialised SQLite database in an empty working folder, with the example people imported.

    Commands act as the administrator (imports, exports, the audit log) unless a test says otherwise;
    ``tester`` does casework.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESIST_DB_PATH", raising=False)
    assert run(["db", "init"], capsys)[0] == 0
    seed_user(f"sqlite:///{tmp_path / 'desist.db'}", "tester", *CASEWORK)
    monkeypatch.setenv("DESIST_USER", ADMIN)
    shutil.copy(EXAMPLES / "import" / "people.csv", tmp_path / "people.csv")
    assert run(["import", "people", "--input", "people.csv"], capsys)[0] == 0
    (tmp_path / "people.csv").unlink()
    return tmp_path


def _people_semicolons(folder: Path) -> str:
    text = (EXAMPLES / "import" / "people.csv").read_text().replace(",", ";")
    (folder / "in.csv").write_text(text)
    return "in.csv"


def _people_repeated_column(folder: Path) -> str:
    (folder / "in.csv").write_text("prison_number,prison_number,date_of_birth,sex\nA1,A2,1980-01-01,M\n")
    return "in.csv"


def _folder_named_csv(folder: Path) -> str:
    (folder / "in.csv").mkdir()
    return "in.csv"


@pytest.mark.parametrize(
    ("make", "mention"),
    [
        (_people_semicolons, "separated by semicolons"),
        (_people_repeated_column, "'prison_number' appears twice"),
        (_folder_named_csv, "is a folder"),
    ],
    ids=["semicolons", "repeated-column", "folder"],
)
def test_bad_import_file(initialised, make, mention, capsys):
    name = make(initialised)
    before = listing(initialised)
    assert_refused(*run(["import", "people", "--input", name], capsys), name, mention)
    assert listing(initialised) == before


def test_header_only_import_counts_the_header_not_a_row(initialised, capsys):
    (initialised / "in.csv").write_text("id,sex,age\n")
    code, out, err = run(["import", "people", "--input", "in.csv"], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: in.csv: 2 problem(s) in the header; nothing was")


@pytest.mark.parametrize(
    ("target", "mention"),
    [("folder", "is a folder"), ("no/such/dir/x.csv", "does not exist"), ("x.txt", "unknown export format")],
    ids=["folder", "missing-folder", "bad-extension"],
)
def test_bad_export_target(initialised, target, mention, capsys):
    (initialised / "folder").mkdir()
    before = listing(initialised)
    assert_refused(*run(["export", "person", target], capsys), target, mention)
    assert listing(initialised) == before


def test_export_replaces_an_existing_file_only_with_force_and_leaves_no_partial_file(initialised, capsys):
    (initialised / "people.csv").write_text("old\n")
    assert_refused(*run(["export", "people", "people.csv"], capsys), "people.csv", "exists", "--force")
    assert (initialised / "people.csv").read_text() == "old\n"
    assert run(["export", "people", "people.csv", "--force"], capsys)[0] == 0
    assert (initialised / "people.csv").read_text().startswith("prison_number,")
    assert not [p for p in initialised.iterdir() if ".partial" in p.name]


@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        (["audit", "--entity", "nope"], ("--entity", "'nope'", "referral")),
        (["audit", "--limit", "99999999999999999999"], ("--limit",)),
    ],
    ids=["unknown-entity", "limit-too-big"],
)
def test_bad_audit_options(initialised, argv, mentions, capsys):
    assert_refused(*run(argv, capsys), *mentions)


# ------------------------------------------------------------------------------ evaluate and survival
COHORT = EXAMPLES / "evaluation" / "cohort.csv"
HUGE_BOOTSTRAP = "99999999999999999999"
EVALUATE = ["evaluate", "--input", "in.csv", "--treatment", "treated", "--outcome", "reoffended_2y",
            "--covariates", "age,risk_band,prior_sexual"]


def _cohort(change=None):
    import pandas as pd

    def make(folder: Path) -> None:
        df = pd.read_csv(COHORT)
        if change is not None:
            df = change(df)
        df.to_csv(folder / "in.csv", index=False)

    return make


def _set(column, value, rows=slice(None)):
    def change(df):
        df[column] = df[column].astype(float)
        df.loc[df.index[rows], column] = value
        return df

    return change


@pytest.mark.parametrize(
    ("make", "extra", "mentions"),
    [
        (_cohort(lambda df: df.iloc[:0]), [], ("in.csv", "no data rows")),
        (_cohort(_set("age", float("nan"))), ["--missing", "drop"], ("age", "no complete rows")),
        (_cohort(lambda df: df.assign(age=df["age"] * 1e300)), [], ("'age'", "too large")),
        (_cohort(lambda df: df.assign(reoffended_2y=df["reoffended_2y"] * 1e300)), [],
         ("'reoffended_2y'", "too large")),
        (_cohort(_set("time_days", float("inf"), slice(0, 1))), ["--time", "time_days", "--event", "event"],
         ("--time", "infinite")),
        (_cohort(), ["--time", "event", "--event", "event"], ("--event", "--time column")),
        (_cohort(), ["--outcome", "treated"], ("--outcome", "treatment column")),
        (_cohort(), ["--covariates", "age,reoffended_2y"], ("'reoffended_2y'", "outcome column")),
        (_cohort(), ["--deniers", "maintains_innocence", "--denier-base-rate", "2"],
         ("--denier-base-rate", "0 to 1")),
        (_cohort(), ["--plots", "in.csv"], ("--plots", "is a file")),
        (_cohort(), ["--bootstrap", HUGE_BOOTSTRAP], ("--bootstrap", "up to 100,000")),
    ],
    ids=["header-only", "all-missing-dropped", "huge-covariate", "huge-outcome", "infinite-time",
         "time-is-event", "outcome-is-treatment", "covariate-is-outcome", "base-rate-2", "plots-is-a-file",
         "bootstrap-huge"],
)
def test_bad_evaluate(make, extra, mentions, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    before = listing(tmp_path)
    assert_refused(*run([*EVALUATE, *extra], capsys), *mentions)
    assert listing(tmp_path) == before


def _rossi(change=None):
    def make(folder: Path) -> None:
        from lifelines.datasets import load_rossi

        df = load_rossi()
        if change is not None:
            df = change(df)
        df.to_csv(folder / "in.csv", index=False)

    return make


@pytest.mark.parametrize(
    ("make", "argv", "mentions"),
    [
        (_rossi(lambda df: df.assign(c=1)), ["--covariates", "fin,c"], ("'c'", "single value")),
        (_rossi(lambda df: df.assign(fin2=df["fin"])), ["--covariates", "fin,fin2"],
         ("did not converge", "fin, fin2")),
        (_rossi(lambda df: df.assign(fin2=df["fin"])), ["--covariates", "fin,fin2", "--ties", "breslow"],
         ("did not converge", "fin, fin2")),
        (_rossi(_set("week", float("inf"), slice(0, 1))), ["--covariates", "fin"], ("'week'", "infinite")),
        (_rossi(lambda df: df.assign(prio=df["prio"] * 1e300)), ["--covariates", "fin,prio"],
         ("'prio'", "too large")),
        (_rossi(), ["--covariates", "fin", "--event", "week"], ("--event", "--time column")),
        (_rossi(), ["--covariates", "week,fin"], ("'week'", "--time column")),
    ],
    ids=["constant", "collinear-efron", "collinear-breslow", "infinite-duration", "huge-covariate",
         "event-is-duration", "covariate-is-duration"],
)
def test_bad_survival(make, argv, mentions, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    base = ["survival", "--input", "in.csv", "--time", "week", "--event", "arrest"]
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    if "--event" in options:
        base[base.index("--event") + 1] = options.pop("--event")
    flat = [x for kv in options.items() for x in kv]
    before = listing(tmp_path)
    assert_refused(*run([*base, *flat], capsys), *mentions)
    assert listing(tmp_path) == before


# ------------------------------------------------------------------------------ casework and demo
HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        (["group", "show", HUGE], ("desist group show", "GROUP")),
        (["referral", "show", HUGE], ("desist referral show", "REFERRAL")),
        (["referral", "create", "--person", "A1001AA", "--offering", HUGE],
         ("--offering",)),
        (["group", "waiting", "--offering", HUGE], ("--offering",)),
        (["group", "create", "--offering", "1", "--kind", "closed", "--capacity", HUGE, "--sessions", "4",
          "--start-date", "2025-01-06"], ("--capacity",)),
        (["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions",
          "100000000", "--start-date", "2025-01-06"], ("planned sessions", "1 to 1,000")),
        (["person", "set-flags", HUGE, "--maintains-innocence"], (HUGE, "not found")),
        (["person", "add", "--prison-number", "Ñ🦀", "--date-of-birth", "1980-01-01"],
         ("prison number", "badly")),
        (["person", "add", "--prison-number", "A" * 500, "--date-of-birth", "1980-01-01"],
         ("prison number", "badly")),
    ],
    ids=["group-id", "referral-id", "offering-option", "waiting-offering", "capacity", "sessions",
         "person-id", "unicode-prison-number", "long-prison-number"],
)
def test_bad_casework_numbers_and_ids(initialised, argv, mentions, monkeypatch, capsys):
    monkeypatch.setenv("DESIST_USER", "tester")
    assert_refused(*run(argv, capsys), *mentions)


@pytest.mark.parametrize(
    ("marks", "mentions"),
    [
        (["--attended", "A1001AA,a1001aa"], ("--attended", "twice")),
        (["--attended", "A1001AA", "--absent", "A1001AA"], ("--absent", "in --attended too")),
    ],
    ids=["twice-in-one-list", "in-two-lists"],
)
def test_a_man_marked_twice_in_one_session_is_refused(initialised, marks, mentions, monkeypatch, capsys):
    monkeypatch.setenv("DESIST_USER", "tester")
    assert run(["offering", "create", "--programme", "HORIZON", "--site", "HMP Whatton"], capsys)[0] == 0
    create = ["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions", "4",
              "--start-date", "2025-01-06"]
    assert run(create, capsys)[0] == 0
    assert_refused(*run(["group", "session", "1", "--on", "2025-01-07", *marks], capsys), *mentions)
    code, out, _ = run(["group", "show", "1"], capsys)
    assert code == 0 and "0 of 4 sessions held" in out  # nothing recorded


def test_demo_out_that_cannot_be_created_is_refused_before_the_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    argv = ["demo", "--men", "1000", "--out", "file/sub"]
    assert_refused(*run(argv, capsys), "--out", "file/sub")
    assert listing(tmp_path) == {"file": 1}


def test_import_dates_out_of_range_and_no_false_duplicates(initialised, capsys):
    (initialised / "in.csv").write_text(
        "prison_number,offence_date,proven_date,kind\n"
        "A1001AA,9999-12-31,9999-12-31,other\n"
        "A1001AA,0001-01-01,0001-01-02,other\n"
        "A1001AA,20200101,2020-06-01,other\n"
    )
    code, out, err = run(["import", "outcomes", "--input", "in.csv"], capsys)
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert code == 2 and out == "" and "Traceback" not in err
    assert "row 1, column 'offence_date', value '9999-12-31': out of range, expected a date from" in lines[0]
    assert "value '20200101': not a date, expected YYYY-MM-DD" in err
    # three different bad dates are not "the same key" (they all cleaned to an empty date)
    assert "repeats row" not in err
    assert lines[-1].startswith("error: in.csv: 5 problem(s) in 3 row(s); nothing was imported")
