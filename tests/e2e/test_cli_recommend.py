"""``desist recommend`` end to end through the Typer app: formats, bad input, skip and rejects, CSV input."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from desist.entrypoints.cli.app import build_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_JSON = ROOT / "examples" / "profiles.json"
EXAMPLES_CSV = ROOT / "examples" / "profiles.csv"
EXPECTED = {
    "P-001": ["KAIZEN"],
    "P-002": ["HORIZON"],
    "P-003": ["BNM-PLUS"],
    "P-004": ["IHORIZON"],
    "P-005": ["KAIZEN"],
    "P-006": ["SOTP-EXT", "SOTP-HSF", "SOTP-BLB-HIGH"],
    "P-007": [],
}


def run(*args: str) -> Any:
    return CliRunner().invoke(build_app(), ["recommend", *args])


def write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "men.json"
    path.write_text(json.dumps(records))
    return path


@pytest.fixture
def men() -> list[dict[str, Any]]:
    return json.loads(EXAMPLES_JSON.read_text())


def test_json_output_for_the_examples() -> None:
    result = run("--input", str(EXAMPLES_JSON), "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"]: [x["code"] for x in r["recommended"]] for r in rows} == EXPECTED
    for r in rows:
        assert set(r) >= {"id", "as_of", "pathway", "risk", "recommended", "excluded"}
        assert len(r["recommended"]) + len(r["excluded"]) == 22
    p7 = rows[-1]
    assert p7["pathway"] == "ALTERNATIVE_PATHWAY" and "low risk" in p7["reason"]
    assert rows[5]["as_of"] == "2012-06-01" and rows[5]["risk"]["basis"] == "RM2000/S"


def test_csv_input_gives_the_same_recommendations_as_json() -> None:
    from_json = json.loads(run("--input", str(EXAMPLES_JSON), "--format", "json").stdout)
    result = run("--input", str(EXAMPLES_CSV), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == from_json


def test_csv_and_table_output() -> None:
    result = run("--input", str(EXAMPLES_JSON), "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["recommended"] for r in rows][:2] == ["KAIZEN", "HORIZON"]
    assert "SOTP-CORE: Not available on 2019-06-01" in rows[0]["excluded"]
    table = run("--input", str(EXAMPLES_JSON), "--format", "table")
    assert table.exit_code == 0
    assert "OFFER 1" in table.stdout and "Kaizen" in table.stdout and "NOTHING FITS" in table.stdout
    # stored values read as words: "PNI pathway moderate intensity", never MODERATE_INTENSITY or VERY_HIGH
    assert "PNI pathway " in table.stdout
    assert re.findall(r"(?<![\w-])[A-Z]+(?:_[A-Z]+)+(?![\w-])", table.stdout) == []


def test_as_of_option_applies_to_records_without_their_own(tmp_path: Path, men: list[dict[str, Any]]) -> None:
    p1 = dict(men[0], as_of=None)
    path = write(tmp_path, [p1, men[5]])
    rows = json.loads(run("--input", str(path), "--as-of", "2012-06-01", "--format", "json").stdout)
    assert rows[0]["as_of"] == "2012-06-01"
    assert [x["code"] for x in rows[0]["recommended"]] == ["SOTP-CORE", "SOTP-HSF"]
    assert rows[1]["as_of"] == "2012-06-01"


def test_policy_switch_offers_low_risk_men_a_programme(tmp_path: Path, men: list[dict[str, Any]]) -> None:
    low = dict(men[6], in_custody=True, setting="custody", as_of="2012-06-01")
    path = write(tmp_path, [low])
    default = json.loads(run("--input", str(path), "--format", "json").stdout)
    assert default[0]["recommended"] == []
    switched = json.loads(run("--input", str(path), "--format", "json", "--policy-offer-low-risk").stdout)
    assert [x["code"] for x in switched[0]["recommended"]] == ["SOTP-ROLLING"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"age": 7}, "record 2 (id P-002): field 'age': 7 is out of range, expected 10 to 110"),
        ({"setting": "hospital"}, "record 2 (id P-002): field 'setting'"),
        ({"completed_programmes": "CORE:met"}, "record 2 (id P-002): field 'completed_programmes': unknown"),
        ({"hsp_items": ["tattoos"]}, "record 2 (id P-002): field 'hsp_items'"),
        ({"oasys_6_1": 3}, "record 2 (id P-002): field 'oasys_6_1'"),
        ({"as_of": "2019-13-45"}, "record 2 (id P-002): field 'as_of'"),
        ({"months_to_release": None}, "record 2 (id P-002): field 'months_to_release': missing"),
        ({"oasys_12_1": 1}, "record 2 (id P-002): field 'oasys_11_11': missing"),  # PNI needs the sex items
    ],
)
def test_bad_record_fails_with_one_line_and_writes_nothing(
    tmp_path: Path, men: list[dict[str, Any]], change: dict[str, Any], expected: str
) -> None:
    men[1] = dict(men[1], **change)
    result = run("--input", str(write(tmp_path, men)), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert "Traceback" not in result.stderr


def test_skip_writes_rejects_and_recommends_the_rest(tmp_path: Path, men: list[dict[str, Any]]) -> None:
    men[2] = dict(men[2], age=7)
    men[4] = dict(men[4], completed_programmes=[{"code": "NOPE", "targets_met": True}])
    rejects = tmp_path / "rejects.csv"
    result = run(
        "--input",
        str(write(tmp_path, men)),
        "--format",
        "json",
        "--on-error",
        "skip",
        "--rejects",
        str(rejects),
    )
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == ["P-001", "P-002", "P-004", "P-006", "P-007"]
    got = list(csv.DictReader(rejects.read_text().splitlines()))
    assert [(r["row"], r["id"], r["field"]) for r in got] == [
        ("3", "P-003", "age"),
        ("5", "P-005", "completed_programmes"),
    ]
    assert result.stderr.count("skipped:") == 2


def test_bad_option_and_bad_file(tmp_path: Path) -> None:
    result = run("--input", str(EXAMPLES_JSON), "--as-of", "June 2019")
    assert result.exit_code == 2 and "--as-of 'June 2019': not a valid date" in result.stderr
    missing = run("--input", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "Traceback" not in missing.stderr and missing.stderr.strip()
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    result = run("--input", str(broken))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_readme_first_command_runs_as_a_subprocess() -> None:
    import subprocess
    import sys

    code = "from desist.entrypoints.cli import main; main()"
    args = ["recommend", "--input", str(EXAMPLES_JSON), "--format", "table"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "P-001" in done.stdout and "Kaizen" in done.stdout and "OFFER 1" in done.stdout
