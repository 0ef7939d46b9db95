"""Faults from the command line that need no second backend: bad UTF-8 arguments, deep JSON in an import
cell, import columns named like desist's own, a newer database on a file, a full disk on export."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.cli import ADMIN, run_cli, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESIST_DB_PATH", raising=False)
    assert run_cli(["db", "init"], capsys)[0] == 0
    seed_user("sqlite:///desist.db", ADMIN)  # imports, exports and the audit log: an administrator's
    monkeypatch.setenv("DESIST_USER", ADMIN)
    shutil.copy(EXAMPLES / "import" / "people.csv", tmp_path / "people.csv")
    assert run_cli(["import", "people", "--input", "people.csv"], capsys)[0] == 0
    return tmp_path


def _one_line(code: int, err: str, *mentions: str) -> None:
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and errors and "Traceback" not in err and "internal error" not in err, err
    for text in mentions:
        assert text in errors[-1], (text, errors[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "people", os.fsdecode(b"\xffpeople.csv")],
        ["person", "add", "--prison-number", "A9", "--establishment", os.fsdecode(b"HMP \xc3")],
        ["audit", "--entity", os.fsdecode(b"\xfe")],
    ],
    ids=["file-name", "establishment", "entity"],
)
def test_invalid_utf8_argument(folder: Path, capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = run_cli(argv, capsys)
    _one_line(code, err, "not valid UTF-8", "\\x")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_deeply_nested_json_in_an_import_cell(folder: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    deep = "[" * 5_000 + "]" * 5_000  # deeper than Python's recursion limit, shorter than the cell limit
    pd.DataFrame(
        [{"prison_number": "A1001AA", "assessed_on": "2023-10-02", "tool": "osp", "inputs": deep}]
    ).to_csv("a.csv", index=False)
    code, _, err = run_cli(["import", "assessments", "--input", "a.csv"], capsys)
    _one_line(code, err, "nothing was imported")
    assert "not a JSON object" in err


def test_import_columns_named_like_internal_ones_are_ignored(folder: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    frame = pd.read_csv(EXAMPLES / "import" / "assessments.csv", dtype=str, keep_default_na=False)
    frame["person_id"], frame["id"], frame["outputs"] = "999", "7", "{}"
    frame.to_csv("a.csv", index=False)
    code, out, err = run_cli(["import", "assessments", "--input", "a.csv"], capsys)
    assert code == 0, err
    assert "ignored columns: person_id, id, outputs" in out


def test_database_from_a_newer_desist_and_a_damaged_one(folder: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect("desist.db") as conn:
        conn.execute("update alembic_version set version_num = 'ffff'")
    code, _, err = run_cli(["export", "people", "p.csv"], capsys)
    _one_line(code, err, "newer than desist", "ffff")
    from desist.adapters.migrate import head_revision

    with sqlite3.connect("desist.db") as conn:
        conn.execute("update alembic_version set version_num = ?", (head_revision(),))
        conn.execute("drop table outcome")
    code, _, err = run_cli(["export", "outcomes", "o.csv"], capsys)
    _one_line(code, err, "no table outcome")


def test_disk_full_while_exporting(folder: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import pandas.core.generic as generic

    def full(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(generic.NDFrame, "to_csv", full)
    code, _, err = run_cli(["export", "people", "p.csv"], capsys)
    _one_line(code, err, "p.csv", "disk is full")
    assert not Path("p.csv").exists() and not [p for p in folder.iterdir() if ".partial" in p.name]


@pytest.mark.parametrize("command", ["risk", "recommend"])
def test_rich_tables_show_ids_as_plain_text(tmp_path: Path, monkeypatch, capsys, command: str) -> None:  # type: ignore[no-untyped-def]
    """An id from the user's file is neither Rich markup nor terminal codes in the table view."""
    import json

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that Rich does not fold the id across lines
    source = "risk_osp.json" if command == "risk" else "profiles.json"
    records = json.loads((EXAMPLES / source).read_text())[:1]
    records[0]["id"] = "[red]P1[/red]\x1b[2K\u202e"
    (tmp_path / "in.json").write_text(json.dumps(records))
    tool = ["--tool", "osp"] if command == "risk" else []
    argv = [command, "--input", "in.json", "--format", "table", *tool]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert "[red]P1[/red]\\x1b[2K\\u202e" in out
    assert "\x1b[2K" not in out and "\u202e" not in out
