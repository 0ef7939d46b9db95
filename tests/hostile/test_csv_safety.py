"""Formula neutralisation: every CSV desist writes opens safely in a spreadsheet and re-imports unchanged."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desist.adapters import spreadsheet
from desist.adapters.importers import read_table
from tests.cli import ADMIN, run_cli, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FORMULAS = ("=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "'=1", "''@x")
#: text a spreadsheet would run as a formula: starts with = + - @ (tab and CR are refused at input)
RISKY = st.text(alphabet=st.sampled_from("=+-@'\t\r"), min_size=1, max_size=3)


def _text_values() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=40), st.builds(lambda a, b: a + b, RISKY, st.text(max_size=20)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_text_values(), min_size=1, max_size=8))
def test_neutralise_then_restore_is_the_identity(values: list[str]) -> None:
    for v in values:
        cell = spreadsheet.neutralise(v)
        assert spreadsheet.restore(cell) == v
        assert not cell or cell[0] not in "=+-@\t\r" or spreadsheet._NUMBER.fullmatch(cell)


@settings(max_examples=60, deadline=None)
@given(st.lists(_text_values().filter(lambda s: "\x00" not in s), min_size=1, max_size=6))
def test_csv_written_by_desist_reads_back_exactly(tmp_path_factory, values: list[str]):
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    frame = pd.DataFrame({"text": values, "number": range(len(values))})
    spreadsheet.frame_to_csv(frame, path)
    back = read_table(path)
    assert back["text"].tolist() == values
    assert back["number"].tolist() == [str(i) for i in range(len(values))]  # numbers are not quoted
    with path.open(newline="", encoding="utf-8") as fh:
        for row in list(csv.reader(fh))[1:]:
            first = row[0][:1]
            assert first not in ("=", "+", "-", "@", "\t", "\r") or spreadsheet._NUMBER.fullmatch(row[0])


def test_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"a": ["-5", "+1.5e3", "-x"], "b": [-1, 2, 3], "c": [-0.5, 1.0, 2.0]})
    out = spreadsheet.neutralise_frame(frame)
    assert out["a"].tolist() == ["-5", "+1.5e3", "'-x"]
    assert out["b"].tolist() == [-1, 2, 3] and out["c"].tolist() == [-0.5, 1.0, 2.0]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESIST_DB_PATH", raising=False)
    assert run_cli(["db", "init"], capsys)[0] == 0
    seed_user("sqlite:///desist.db", ADMIN)  # imports and identified exports: an administrator's
    monkeypatch.setenv("DESIST_USER", ADMIN)
    return tmp_path


def test_export_import_round_trip_of_formula_text(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = pd.read_csv(EXAMPLES / "import" / "people.csv", dtype=str, keep_default_na=False)
    people["establishment"] = list(FORMULAS[: len(people)])
    people.to_parquet(folder / "people.parquet")  # parquet: the values go in exactly as given
    assert run_cli(["import", "people", "--input", "people.parquet"], capsys)[0] == 0
    code, _, err = run_cli(["export", "people", "out.csv"], capsys)
    assert code == 0, err
    text = (folder / "out.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1+cmd" in text and "'-2+3" in text
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        assert all(not c or c[0] not in "=+@\t\r" for c in row), row
    # into a fresh database: every value back exactly; into the same: nothing changes
    shutil.move(folder / "desist.db", folder / "first.db")
    assert run_cli(["db", "init"], capsys)[0] == 0
    seed_user("sqlite:///desist.db", ADMIN)
    code, out, err = run_cli(["import", "people", "--input", "out.csv"], capsys)
    assert code == 0 and f"{len(people)} new" in out, err
    assert run_cli(["export", "people", "again.csv"], capsys)[0] == 0
    assert (folder / "again.csv").read_text() == text
    code, out, _ = run_cli(["import", "people", "--input", "again.csv"], capsys)
    assert f"{len(people)} unchanged" in out


def test_rejects_and_stdout_csv_are_neutralised(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "in.csv").write_text("id,sex,age\n=cmd(),M,seven\n")
    code, _, err = run_cli(
        ["risk", "--tool", "osp", "--input", "in.csv", "--on-error", "skip", "--rejects", "r.csv"], capsys
    )
    assert code == 0, err
    rows = list(csv.reader((folder / "r.csv").open(newline="")))
    assert rows[1][1] == "'=cmd()"
