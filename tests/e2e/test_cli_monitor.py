"""`desist monitor replay` on the national synthetic history: when would we have known?"""

from __future__ import annotations

import datetime as dt
import json

import matplotlib

from tests.cli import run_cli


def test_core_sotp_harm_is_flagged_well_before_2017_and_kaizen_stays_quiet(capsys, tmp_path) -> None:
    backend = matplotlib.get_backend()
    code, out, err = run_cli(
        ["monitor", "replay", "--programme", "SOTP-CORE", "--from", "2000-01-01", "--to", "2017-03-31",
         "--every", "quarter", "--format", "json", "--chart", str(tmp_path / "core.png")],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["reviews"]) == 69
    first = doc["first_alerts"]["SOTP-CORE"]
    assert first is not None and first["decision"] == "harm"
    assert dt.date.fromisoformat(first["as_of"]) < dt.date(2015, 1, 1)  # withdrawn spring 2017
    assert first["z"] >= first["boundary"] and first["estimate"] > 1
    assert "largest_subgroup_effect" in first["evidence"] and "worst_balance" in first["evidence"]
    assert (tmp_path / "core.png").stat().st_size > 10_000
    assert matplotlib.get_backend() == backend

    code, out, err = run_cli(
        ["monitor", "replay", "--programme", "KAIZEN", "--from", "2017-06-30", "--to", "2024-12-31",
         "--method", "always-valid", "--format", "json"],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["first_alerts"] == {"KAIZEN": None}
    assert not any(r["decision"] in ("harm", "benefit") for r in doc["reviews"])


def test_bad_input_is_one_line(capsys) -> None:
    code, _, err = run_cli(["monitor", "replay", "--from", "2017-13-01"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--from '2017-13-01'" in err
    code, _, err = run_cli(["monitor", "replay", "--from", "2017-01-01", "--to", "2016-01-01"], capsys)
    assert code == 2 and "before --from" in err


def test_run_status_ack_on_a_database(capsys, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert run_cli(["db", "init", "--url", url], capsys)[0] == 0
    args = ["monitor", "run", "--programme", "SOTP-CORE,KAIZEN", "--as-of", "2013-12-31", "--db", url,
            "--men", "30000", "--format", "json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    first = json.loads(out)["reviews"]
    assert [r["stored"] for r in first] == [True, True]
    assert first[1]["decision"] == "too little data"  # Kaizen began in 2017
    code, out, err = run_cli(args, capsys)
    assert code == 0 and [r["stored"] for r in json.loads(out)["reviews"]] == [False, False]
    code, out, err = run_cli(["monitor", "status", "--db", url, "--format", "json"], capsys)
    assert code == 0, err
    state = json.loads(out)
    assert {r["programme"] for r in state["programmes"]} == {"SOTP-CORE", "KAIZEN"}
    ack = ["monitor", "ack", "4242", "--reason", "seen", "--actor", "lead", "--db", url]
    code, out, err = run_cli(ack, capsys)
    assert code != 0 and err.count("\n") == 1 and "alert 4242" in err
