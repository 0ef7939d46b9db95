"""`desist monitor replay` on the national synthetic history: when would we have known?"""

from __future__ import annotations

import datetime as dt
import json

import matplotlib

from tests.cli import run_cli, seed_user
from tests.principals import admin


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
    # the synthetic truth the estimates are comparable with: the per-man hazard ratios (1.15 medium, 1.35
    # high, x1.1 after Extended) averaged over the treated men by their reoffences
    assert 1.30 < doc["true_hazard_ratio"]["SOTP-CORE"] < 1.40
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


def test_run_status_ack_on_a_database(capsys, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert run_cli(["db", "init", "--url", url], capsys)[0] == 0
    seed_user(url, "nina", "analyst")  # runs and reads the reviews (stored also with --synthetic)
    seed_user(url, "tess", "treatment_manager")  # acknowledges alerts
    monkeypatch.setenv("DESIST_USER", "nina")
    args = ["monitor", "run", "--programme", "SOTP-CORE,KAIZEN", "--as-of", "2013-12-31", "--db", url,
            "--synthetic", "--men", "30000", "--format", "json"]
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
    ack = ["monitor", "ack", "4242", "--reason", "seen", "--as", "tess", "--db", url]
    code, out, err = run_cli(ack, capsys)
    assert code != 0 and err.count("\n") == 1 and "alert 4242" in err


def test_run_reviews_the_casework_database_as_of_each_date(capsys, tmp_path, monkeypatch) -> None:
    from desist.adapters.engine import make_engine
    from desist.services.demo import load_population
    from desist.synth import generate_population
    from desist.synth.export import write_import_files

    url = f"sqlite:///{tmp_path / 'casework.db'}"
    assert run_cli(["db", "init", "--url", url], capsys)[0] == 0
    engine = make_engine(url)
    pop = generate_population(1500, seed=3)
    files = write_import_files(pop, dt.date(2024, 12, 31), tmp_path / "files")
    load_population(engine, files, principal=admin())
    engine.dispose()
    seed_user(url, "nina", "analyst")
    monkeypatch.setenv("DESIST_USER", "nina")

    def run(day: str, *extra: str) -> list[dict]:
        code, out, err = run_cli(["monitor", "run", "--programme", "SOTP-CORE", "--as-of", day, "--db", url,
                                  "--min-treated", "20", "--format", "json", *extra], capsys)
        assert code == 0, err
        return json.loads(out)["reviews"]

    early, late = run("2016-12-31")[0], run("2024-12-31")[0]
    assert early["source"].startswith("casework store") and early["stored"] and late["stored"]
    assert 20 <= early["treated"] < late["treated"] and early["events"] < late["events"]
    assert early["evidence"]["evaluation_run"] != late["evidence"]["evaluation_run"]
    code, out, err = run_cli(["evaluate", "runs", "--db", url, "--format", "json"], capsys)
    assert code == 0, err
    assert run("2024-12-31")[0]["stored"] is False  # idempotent
    # the table form says what was reviewed
    code, out, err = run_cli(["monitor", "run", "--programme", "SOTP-CORE", "--as-of", "2024-12-31",
                              "--db", url], capsys)
    assert code == 0 and "already stored" in out and f"{late['treated']} treated" in out
    # one line for the user's mistakes
    code, _, err = run_cli(["monitor", "run", "--as-of", "2024-12-31", "--db", url, "--men", "3000"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--synthetic" in err
    code, _, err = run_cli(["monitor", "run", "--as-of", "2024-12-31", "--db", url, "--synthetic",
                            "--men", "3000"], capsys)
    assert code == 2 and err.count("\n") == 1 and "casework store" in err  # sources do not mix
    code, _, err = run_cli(["monitor", "run", "--programme", "C-SOGP", "--as-of", "2024-12-31",
                            "--db", url], capsys)
    assert code == 2 and err.count("\n") == 1 and "C-SOGP" in err
