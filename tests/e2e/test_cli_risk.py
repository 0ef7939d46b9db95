"""`desist risk` end to end through the Typer app: outputs, one-line errors, exit 2, nothing half-written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from desist.domain.risk.pni import OASYS_ITEMS
from desist.entrypoints.cli import risk as risk_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def _app() -> typer.Typer:
    # only the risk command, so these tests do not depend on other command modules; the full app
    # (build_app / the console script) is exercised by test_console_script_no_traceback
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    risk_cli.register(app)
    return app


def run(*args: str):
    return runner.invoke(_app(), ["risk", *args])


def write(tmp_path: Path, records, name: str = "in.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(records))
    return p


def test_osp_json_shape_and_values():
    res = run("--tool", "osp", "--input", str(EXAMPLES / "risk_osp.json"), "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["id"] for r in out] == ["P-001", "P-002", "P-003", "P-004"]
    assert set(out[0]) == {"id", "osp_dc", "osp_iic"}
    assert set(out[0]["osp_dc"]) == {"points", "band", "probability"} and set(out[0]["osp_iic"]) == {
        "band",
        "probability",
    }
    # P-001: 5 (1 contact-adult) + 10 (age 30) + 10 (last offence at 28) + 6 (2 sanctions) + 4 (stranger) = 35
    assert out[0]["osp_dc"]["points"] == 35 and out[0]["osp_dc"]["band"] == "HIGH"
    # printed to 4 significant figures (issue 9: not 17 digits)
    assert out[0]["osp_dc"]["probability"] == 0.04565
    assert out[0]["osp_dc"]["probability"] == pytest.approx(
        1 / (1 + 2.718281828459045 ** (8.633 - 0.1598 * 35)), rel=1e-4
    )
    assert out[1]["osp_iic"] == {"band": "HIGH", "probability": 0.1031}
    # P-004 scores 33 (HIGH) but is 7 years in the community without offending: dropped to MEDIUM
    assert (out[3]["osp_dc"]["points"], out[3]["osp_dc"]["band"]) == (33, "MEDIUM")


def test_static99r_rm2000_pni_shapes():
    s = json.loads(
        run(
            "--tool", "static99r", "--input", str(EXAMPLES / "risk_static99r.json"), "--format", "json"
        ).stdout
    )
    assert [(r["total"], r["level"]) for r in s] == [(5, "IVa"), (-3, "I"), (11, "IVb")]
    assert set(s[0]) == {"id", "total", "level", "items"}
    r = json.loads(
        run("--tool", "rm2000", "--input", str(EXAMPLES / "risk_rm2000.json"), "--format", "json").stdout
    )
    assert [(x["s"]["category"], x["v"]["category"], x["c"]["category"]) for x in r] == [
        ("VERY_HIGH", "HIGH", "HIGH"),
        ("LOW", "LOW", "LOW"),
        ("VERY_HIGH", "VERY_HIGH", "VERY_HIGH"),
    ]
    p = json.loads(
        run("--tool", "pni", "--input", str(EXAMPLES / "risk_pni.json"), "--format", "json").stdout
    )
    assert set(p[0]) == {"id", "need", "risk_level", "pathway"}
    assert set(p[0]["need"]) == {"sex", "thinking", "relationships", "self_management", "overall", "level"}
    assert [x["pathway"] for x in p] == [
        "HIGH_INTENSITY",
        "MODERATE_INTENSITY",
        "ALTERNATIVE_PATHWAY",
        "MISSING_INFORMATION",
    ]


def test_pni_computes_osp_bands_from_osp_fields(tmp_path):
    osp_rec = json.loads((EXAMPLES / "risk_osp.json").read_text())[2]  # P-003: OSP/DC VERY_HIGH
    items = dict.fromkeys(OASYS_ITEMS, 0)
    rec = {**osp_rec, **items, "osp_dc_band": "LOW"}  # the given band is replaced by the computed one
    out = json.loads(run("--tool", "pni", "--input", str(write(tmp_path, [rec])), "--format", "json").stdout)
    assert out[0]["risk_level"] == "HIGH"
    rec_missing_sex = {**rec, "oasys_11_12": None}
    res = run("--tool", "pni", "--input", str(write(tmp_path, [rec_missing_sex])), "--format", "json")
    assert res.exit_code == 2
    assert "record 1 (id P-003): field 'oasys_11_12': missing" in res.stderr


def test_csv_input_and_output(tmp_path):
    recs = json.loads((EXAMPLES / "risk_static99r.json").read_text())
    path = tmp_path / "in.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(recs[0]))
        w.writeheader()
        w.writerows(
            {k: ("yes" if v is True else "no" if v is False else v) for k, v in r.items()} for r in recs
        )
    res = run("--tool", "static99r", "--input", str(path), "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(res.stdout.splitlines()))
    assert [(r["id"], r["total"], r["level"]) for r in rows] == [
        ("S-001", "5", "IVa"),
        ("S-002", "-3", "I"),
        ("S-003", "11", "IVb"),
    ]
    assert rows[0]["items.prior_sex_offences"] == "1"


def test_table_output():
    res = run("--tool", "rm2000", "--input", str(EXAMPLES / "risk_rm2000.json"), "--format", "table")
    assert res.exit_code == 0 and "Risk Matrix 2000" in res.stdout and "R-003" in res.stdout


BAD = [
    ("osp", {"age": 7}, "record 2 (id P-002): field 'age': 7 is out of range, expected 10 to 110"),
    ("osp", {"age": None}, "record 2 (id P-002): field 'age': missing, expected a whole number 10 to 110"),
    ("pni", {"oasys_12_1": 3}, "record 2 (id N-002): field 'oasys_12_1': 3 is out of range, expected 0 to 2"),
    (
        "pni",
        {"osp_dc_band": "EXTREME"},
        "record 2 (id N-002): field 'osp_dc_band': 'EXTREME' is not a known value, "
        "expected one of LOW, MEDIUM, HIGH, VERY_HIGH, NOT_APPLICABLE",
    ),
    (
        "static99r",
        {"male_victim": "perhaps"},
        "record 2 (id S-002): field 'male_victim': 'perhaps' is not valid, "
        "expected true or false (or yes/no, 1/0)",
    ),
    (
        "rm2000",
        {"sexual_appearances": 0},
        "record 2 (id R-002): field 'sexual_appearances': 0 is out of range, expected 1 to 500",
    ),
]


@pytest.mark.parametrize(("tool", "change", "line"), BAD)
def test_bad_record_one_line_exit_2_nothing_written(tmp_path, tool, change, line):
    recs = json.loads((EXAMPLES / f"risk_{tool}.json").read_text())
    recs[1] = {k: v for k, v in {**recs[1], **change}.items() if v is not None or k not in change}
    res = run("--tool", tool, "--input", str(write(tmp_path, recs)), "--format", "json")
    assert res.exit_code == 2
    assert res.stdout == ""  # nothing half-written
    assert res.stderr == f"error: {line}\n"


def test_skip_writes_rejects_and_scores_the_rest(tmp_path):
    recs = json.loads((EXAMPLES / "risk_osp.json").read_text())
    recs[1]["age"] = 7
    recs[3]["sex"] = "X"
    rejects = tmp_path / "rejects.csv"
    res = run(
        "--tool",
        "osp",
        "--input",
        str(write(tmp_path, recs)),
        "--format",
        "json",
        "--on-error",
        "skip",
        "--rejects",
        str(rejects),
    )
    assert res.exit_code == 0
    assert [r["id"] for r in json.loads(res.stdout)] == ["P-001", "P-003"]
    rows = list(csv.DictReader(rejects.open()))
    assert [(r["row"], r["id"], r["field"]) for r in rows] == [("2", "P-002", "age"), ("4", "P-004", "sex")]
    assert "skipped: record 2 (id P-002)" in res.stderr


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        ("not json", "x.json", "invalid JSON at line 1"),
        ('{"a": 1}', "x.json", "expected a JSON list of objects"),
        ("", "x.csv", "no header row"),
    ],
)
def test_bad_files(tmp_path, content, name, fragment):
    p = tmp_path / name
    p.write_text(content)
    res = run("--tool", "osp", "--input", str(p), "--format", "json")
    assert res.exit_code == 2 and fragment in res.stderr and res.stderr.count("\n") == 1


def test_missing_file_and_bad_tool(tmp_path):
    res = run("--tool", "osp", "--input", str(tmp_path / "none.json"))
    assert res.exit_code == 2 and "not found" in res.stderr
    assert run("--tool", "oasys", "--input", str(tmp_path / "none.json")).exit_code == 2


def test_console_script_no_traceback(tmp_path):
    recs = json.loads((EXAMPLES / "risk_osp.json").read_text())
    recs[0]["age"] = 7
    p = write(tmp_path, recs)
    args = ["risk", "--tool", "osp", "--input", str(p), "--format", "json"]
    proc = subprocess.run(
        [sys.executable, "-m", "desist.entrypoints.cli", *args], capture_output=True, text=True, check=False
    )
    if "No module named desist.entrypoints.cli.__main__" in proc.stderr:
        entry = "from desist.entrypoints.cli import main; main()"
        proc = subprocess.run(
            [sys.executable, "-c", entry, *args], capture_output=True, text=True, check=False
        )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "error: record 1 (id P-001): field 'age': 7 is out of range, expected 10 to 110\n"


def test_pni_csv_with_empty_cells(tmp_path):
    recs = json.loads((EXAMPLES / "risk_pni.json").read_text())
    path = tmp_path / "pni.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(recs[0]))
        w.writeheader()
        w.writerows({k: "" if v is None else v for k, v in r.items()} for r in recs)
    res = run("--tool", "pni", "--input", str(path), "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # N-002 is the worked example in docs/risk-tools.md
    assert out[1] == {
        "id": "N-002",
        "need": {
            "sex": 1,
            "thinking": 1,
            "relationships": 1,
            "self_management": 1,
            "overall": 4,
            "level": "MEDIUM",
        },
        "risk_level": "MEDIUM",
        "pathway": "MODERATE_INTENSITY",
    }
    # N-004's empty oasys_12_1 cell is a missing answer
    assert out[3]["need"]["thinking"] is None and out[3]["pathway"] == "MISSING_INFORMATION"
