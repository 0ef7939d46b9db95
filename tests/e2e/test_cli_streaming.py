"""``desist risk`` and ``desist recommend`` a chunk at a time: results as whole-file runs, rows numbered
across chunks, nothing written when a late chunk fails, the same answers from JSON, CSV and Parquet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

import desist.adapters.record_stream as record_stream
import desist.entrypoints.cli.recommend as recommend_cli
from tests.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_stream, "CHUNK_ROWS", 2)
    monkeypatch.setattr(recommend_cli, "CHUNK_MEN", 2)


def _osp() -> list[dict]:
    return json.loads((EXAMPLES / "risk_osp.json").read_text())


def test_chunks_give_the_whole_file_answer(tmp_path, capsys, tiny_chunks) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(
        ["risk", "--tool", "osp", "--input", str(EXAMPLES / "risk_osp.json"), "--format", "json"], capsys
    )
    assert code == 0, err
    got = json.loads(out)
    assert [(r["id"], r["osp_dc"]["points"], r["osp_dc"]["band"]) for r in got] == [
        ("P-001", 35, "HIGH"),
        ("P-002", 21, "LOW"),
        ("P-003", 44, "VERY_HIGH"),
        ("P-004", 33, "MEDIUM"),
    ]


def test_a_bad_record_in_a_late_chunk_writes_nothing(tmp_path, capsys, tiny_chunks) -> None:  # type: ignore[no-untyped-def]
    recs = _osp()
    recs[3]["age"] = 7
    path = tmp_path / "in.json"
    path.write_text(json.dumps(recs))
    rejects = tmp_path / "rejects.csv"
    code, out, err = run_cli(
        ["risk", "--tool", "osp", "--input", str(path), "--format", "csv", "--rejects", str(rejects)], capsys
    )
    assert code == 2 and out == ""
    assert err.strip() == "error: record 4 (id P-004): field 'age': 7 is out of range, expected 10 to 110"
    assert not rejects.exists() and not list(tmp_path.glob(".rejects.csv.*"))  # no partial file either


def test_skip_numbers_rows_across_chunks(tmp_path, capsys, tiny_chunks) -> None:  # type: ignore[no-untyped-def]
    recs = _osp()
    recs[2]["sex"] = "X"
    path = tmp_path / "in.csv"
    pd.DataFrame(recs).to_csv(path, index=False)
    rejects = tmp_path / "rejects.csv"
    argv = ["risk", "--tool", "osp", "--input", str(path), "--format", "csv", "--on-error", "skip"]
    code, out, err = run_cli([*argv, "--rejects", str(rejects)], capsys)
    assert code == 0, err
    assert [r["id"] for r in csv.DictReader(out.splitlines())] == ["P-001", "P-002", "P-004"]
    assert [(r["row"], r["id"], r["field"]) for r in csv.DictReader(rejects.open())] == [
        ("3", "P-003", "sex")
    ]
    assert "skipped: record 3 (id P-003): field 'sex': 'X' is not a known value" in err


@pytest.mark.parametrize("tool", ["osp", "static99r", "rm2000", "pni"])
def test_json_csv_and_parquet_give_the_same_scores(tool, tmp_path, capsys, tiny_chunks) -> None:  # type: ignore[no-untyped-def]
    recs = json.loads((EXAMPLES / f"risk_{tool}.json").read_text())
    frame = pd.DataFrame(recs)
    frame.to_csv(tmp_path / "in.csv", index=False)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    outs = []
    for name in (EXAMPLES / f"risk_{tool}.json", tmp_path / "in.csv", tmp_path / "in.parquet"):
        code, out, err = run_cli(["risk", "--tool", tool, "--input", str(name), "--format", "json"], capsys)
        assert code == 0, (name, err)
        outs.append(json.loads(out))
    assert outs[0] == outs[1] == outs[2]


def test_recommend_chunks_match_one_run(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    argv = [
        "recommend",
        "--input",
        str(EXAMPLES / "profiles.json"),
        "--format",
        "json",
        "--as-of",
        "2019-06-01",
    ]
    code, whole, err = run_cli(argv, capsys)
    assert code == 0, err
    monkeypatch.setattr(recommend_cli, "CHUNK_MEN", 2)
    code, chunked, err = run_cli(argv, capsys)
    assert code == 0, err
    assert json.loads(chunked) == json.loads(whole) and len(json.loads(whole)) >= 3


def test_table_fits_80_columns(capsys) -> None:  # type: ignore[no-untyped-def]
    for tool in ("osp", "static99r", "rm2000", "pni"):
        code, out, err = run_cli(
            ["risk", "--tool", tool, "--input", str(EXAMPLES / f"risk_{tool}.json")], capsys
        )
        assert code == 0, err
        assert max(len(line) for line in out.splitlines()) <= 80, out
        assert "0.04565117" not in out  # probabilities rounded (issue 9)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_recommend_in_two_processes_matches_one(fmt, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    argv = ["recommend", "--input", str(EXAMPLES / "profiles.json"), "--format", fmt, "--as-of", "2012-06-01"]
    code, whole, err = run_cli(argv, capsys)
    assert code == 0, err
    monkeypatch.setattr(recommend_cli, "CHUNK_MEN", 2)
    monkeypatch.setattr(recommend_cli, "PARALLEL_FROM_BYTES", 0)  # two worker processes even for a small file
    code, parallel, err = run_cli(argv, capsys)
    assert code == 0, err
    assert parallel == whole
    men = json.loads((EXAMPLES / "profiles.json").read_text())
    men[-1]["setting"] = "hospital"
    path = tmp_path / "men.json"
    path.write_text(json.dumps(men))
    code, out, err = run_cli(["recommend", "--input", str(path), "--format", fmt], capsys)
    assert code == 2 and out == "" and f"record {len(men)} " in err and "'setting'" in err
