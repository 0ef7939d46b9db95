"""`desist demo` end to end at a small size: the database holds what was generated, the casework is audited,
the evaluation ran on the database's rows, the report is written; bad arguments get one line and exit 2."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from desist.synth import generate_population
from desist.synth.cohort import evaluation_cohort, tables_from_population
from tests.cli import run_cli as run
from tests.e2e.conftest import DEMO_MEN as MEN
from tests.e2e.conftest import DEMO_SEED as SEED

PNG = b"\x89PNG\r\n\x1a\n"


def _count(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def test_demo_runs_and_states_estimate_and_truth(demo_run):
    folder, code, out, err = demo_run
    assert code == 0, err
    assert "estimated hazard ratio" in out and "true " in out and "demo finished in" in out
    for step in (
        f"Generating {MEN:,}",
        "Importing into",
        "Recommendations",
        "casework cycle",
        "Evaluating",
        "Report",
    ):
        assert step in out, step


def test_the_database_holds_the_generated_population(demo_run):
    folder, *_ = demo_run
    db = folder / "desist-demo.db"
    pop = generate_population(MEN, seed=SEED)
    assert _count(db, "SELECT count(*) FROM person") == MEN
    assert _count(db, "SELECT count(*) FROM sentence") == MEN
    assert _count(db, "SELECT count(*) FROM assessment WHERE tool = 'osp'") == MEN
    assert _count(db, "SELECT count(*) FROM assessment WHERE tool = 'pni'") == MEN
    assert _count(db, "SELECT count(*) FROM outcome") == len(pop.outcomes)
    assert _count(db, "SELECT count(*) FROM person WHERE maintains_innocence") == int(
        pop.men.maintains_innocence.sum()
    )
    pre = _count(db, "SELECT count(*) FROM programme_history WHERE source = 'pre_system'")
    assert pre == len(pop.history)
    # every imported row is audited, in the name of the demo administrator who imported it
    assert _count(db, "SELECT count(*) FROM audit_log WHERE actor = 'ada.admin'") >= 4 * MEN + len(
        pop.outcomes
    )
    # the audit log names stored users only: no free-text actors such as demo:import
    actors = {a for (a,) in con_rows(db, "SELECT DISTINCT actor FROM audit_log")}
    users = {u for (u,) in con_rows(db, "SELECT username FROM app_user")}
    assert actors - users == {"system:demo"}  # the first administrator, created before anyone could act


def test_the_casework_cycle_is_in_the_database_and_the_audit_log(demo_run):
    folder, *_ = demo_run
    db = folder / "desist-demo.db"
    assert _count(db, "SELECT count(*) FROM referral") == 12
    assert _count(db, "SELECT count(*) FROM referral WHERE status = 'WITHDRAWN'") == 1
    assert _count(db, "SELECT count(*) FROM referral WHERE status = 'NOT_SUITABLE'") == 1
    enrolled = _count(db, "SELECT count(*) FROM enrolment")
    assert 4 <= enrolled <= 8
    assert _count(db, "SELECT count(*) FROM group_session") == 12
    # and the next group, planned and empty, for the men left waiting and for new referrals
    assert _count(db, "SELECT label FROM programme_group ORDER BY id DESC") == "Kaizen 2"
    assert _count(db, "SELECT count(*) FROM programme_group") == 2
    assert _count(db, "SELECT count(*) FROM enrolment e JOIN programme_group g ON g.id = e.group_id "
                      "WHERE g.label = 'Kaizen 2'") == 0
    assert _count(db, "SELECT count(*) FROM attendance") == 12 * enrolled
    done = _count(db, "SELECT count(*) FROM referral WHERE status = 'PROGRAMME_COMPLETE'")
    assert done == enrolled - 1
    assert _count(db, "SELECT count(*) FROM referral WHERE status = 'DESELECTED'") == 1
    # completion and deselection write programme history linked to the referral
    assert _count(db, "SELECT count(*) FROM programme_history WHERE referral_id IS NOT NULL") == enrolled
    assert _count(db, "SELECT count(*) FROM audit_log WHERE actor = 'tom.whatton'") > 50
    assert _count(db, "SELECT count(*) FROM audit_log WHERE entity = 'referral_status_change'") >= 12


def test_the_evaluation_ran_on_the_database_rows(demo_run):
    folder, *_ = demo_run
    result = json.loads((folder / "desist-demo" / "evaluation.json").read_text())
    # the same cohort built from the generator's own frames: the database round trip lost nothing
    pop = generate_population(MEN, seed=SEED)
    cohort = evaluation_cohort(tables_from_population(pop), "2024-12-31")
    assert result["n"]["treated"] == int(cohort["treated"].sum())
    assert result["n"]["control"] == int((cohort["treated"] == 0).sum())
    assert result["n"]["treated"] >= 30 and result["n"]["treated_matched"] <= result["n"]["treated"]
    assert result["survival"]["hazard_ratio"] > 0
    lo, hi = result["survival"]["ci"]
    assert lo < result["survival"]["hazard_ratio"] < hi
    assert 1.0 < result["demo"]["true_hazard_ratio"] < 1.35
    assert result["demo"]["tables"]["person"] == MEN
    assert result["sensitivity"]["deniers"] and result["subgroups"]
    assert "For every 100 typical men" in result["plain_language"]


def test_the_report_and_plots_are_written(demo_run):
    folder, *_ = demo_run
    out = folder / "desist-demo"
    for name in ("balance", "survival", "deniers", "subgroups", "monitoring-core-sotp"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG, name
    report = (out / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>")
    assert "Did the Core Sex Offender Treatment Programme reduce proven sexual reoffending?" in report
    assert "About this demonstration" in report and "marginal hazard ratio" in report
    assert report.count("<svg") >= 5  # balance, overlap, survival, subgroups, deniers: drawn inline
    # the monitoring chart states the truth its estimates are comparable with (about 1.35 for Core SOTP)
    assert "Monitoring: when would we have known?" in report and "synthetic truth line (1.3" in report
    assert not (out / "report.md").exists()
    assert (out / "data" / "people.csv").exists()


def test_monitor_run_reviews_the_demo_database(demo_run, capsys, tmp_path):
    """`desist monitor run` on (a copy of) the demo's database: the review is the store's evaluation."""
    folder, *_ = demo_run
    copy = tmp_path / "copy.db"
    shutil.copy(folder / "desist-demo.db", copy)
    db = ["--db", f"sqlite:///{copy}", "--as", "nina.analyst"]
    demo_json = json.loads((folder / "desist-demo" / "evaluation.json").read_text())
    hr = next(e for e in demo_json["estimates"] if e["measure"] == "hazard_ratio")
    code, out, err = run(
        ["monitor", "run", "--programme", "SOTP-CORE", "--as-of", "2024-12-31", *db, "--format", "json"],
        capsys,
    )
    assert code == 0, err
    (review,) = json.loads(out)["reviews"]
    assert review["estimate"] == pytest.approx(hr["estimate"], rel=1e-12)
    assert review["treated"] == demo_json["n"]["treated"]
    assert review["events"] == sum(demo_json["survival"]["events"].values())


def test_the_command_line_gets_the_demo_evaluation_from_its_database(demo_run, capsys, tmp_path):
    """`desist evaluate --programme SOTP-CORE --as-of DATE` on the demo's database gives the demo's answer,
    and both runs are stored with everything needed to reproduce them."""
    folder, *_ = demo_run
    copy = tmp_path / "copy.db"  # these store evaluation runs: the shared run stays as the docs show it
    shutil.copy(folder / "desist-demo.db", copy)
    db = ["--db", f"sqlite:///{copy}", "--as", "nina.analyst"]
    demo_json = json.loads((folder / "desist-demo" / "evaluation.json").read_text())
    code, out, err = run(["evaluate", "runs", *db, "--format", "json"], capsys)
    assert code == 0, err
    stored = json.loads(out)
    assert [(r["programme"], r["as_of"], r["actor"]) for r in stored] == [
        ("SOTP-CORE", "2016-12-31", "nina.analyst"),
        ("SOTP-CORE", "2024-12-31", "nina.analyst"),
    ]
    assert demo_json["evaluation_run"] == stored[1]["id"]
    code, out, err = run(
        ["evaluate", "--programme", "SOTP-CORE", "--as-of", "2024-12-31", *db, "--format", "json"], capsys
    )
    assert code == 0, err
    cli = json.loads(out)["result"]
    code, out, err = run(["evaluate", "runs", "show", str(stored[1]["id"]), *db, "--format", "json"], capsys)
    demo = json.loads(out)["result"]
    for r in (cli, demo):
        r.pop("fitted_at")
    assert cli == demo  # the same answer, the same data fingerprint, the same spec
    assert cli["data_cutoff"] == "2024-12-31" and cli["spec"]["design"]["params"]["caliper"] == 0.2
    demo_estimates = {k: v for k, v in demo_json.items() if k in ("estimates", "n", "data_fingerprint")}
    assert demo_estimates == {k: cli[k] for k in demo_estimates}
    # the early look: the demo's stored run, or (below the Justice Data Lab's 60 treated) a clear refusal
    code, out, err = run(["evaluate", "runs", "show", str(stored[0]["id"]), *db, "--format", "json"], capsys)
    early = json.loads(out)["result"]
    argv = ["evaluate", "--programme", "SOTP-CORE", "--as-of", "2016-12-31", *db, "--format", "json"]
    code, out, err = run(argv, capsys)
    if early["n"]["treated"] < 60:
        assert (
            code == 2 and f"{early['n']['treated']} treated men (completed)" in err and "at least 60" in err
        )
    else:
        again = json.loads(out)["result"]
        assert again["estimates"] == early["estimates"] and again["n"] == early["n"]
    code, out, err = run(["evaluate", "runs", "show", "999", *db], capsys)
    assert code == 2 and "evaluation run 999: not found" in err


def test_the_documented_spec_file_runs_on_the_demo_database(demo_run, capsys, tmp_path):
    from pathlib import Path

    folder, *_ = demo_run
    spec = Path(__file__).resolve().parents[2] / "examples" / "evaluation" / "core_itt_2y.yaml"
    copy = tmp_path / "copy.db"  # these store evaluation runs: the shared run stays as the docs show it
    shutil.copy(folder / "desist-demo.db", copy)
    db = ["--db", f"sqlite:///{copy}", "--as", "nina.analyst"]
    argv = ["evaluate", "--programme", "SOTP-CORE", "--as-of", "2024-12-31", "--spec", str(spec), *db]
    code, out, err = run([*argv, "--format", "json"], capsys)
    assert code == 0, err
    result = json.loads(out)["result"]
    assert (
        result["treatment"]["definition"] == "started" and result["outcome"]["name"] == "sexual_reoffence_2y"
    )
    assert result["settings_applied"]["params"]["ratio"] == 2 and result["spec"]["followup_years"] == 2
    code, out, err = run(argv, capsys)  # the table form, as docs/evaluation.md shows it
    assert code == 0 and out.startswith("evaluation run ") and "(started)" in out.splitlines()[0]


def test_the_demo_users_are_printed_and_see_only_their_prison(demo_run, capsys):
    folder, code, out, _ = demo_run
    db = folder / "desist-demo.db"
    assert "demo users (password 'desist-demo-password'): ada.admin (admin, national)" in out
    assert out.strip().splitlines()[-1].startswith(
        "next: DESIST_COOKIE_SECURE=false desist serve --db sqlite:///desist-demo.db  then sign in"
    )
    users = con_rows(db, "SELECT u.username, r.role, u.organisation FROM app_user u "
                         "JOIN app_user_role r ON r.user_id = u.id ORDER BY u.username")
    assert len(users) == 8 and ("tara.usk", "programme_team", "HMP Usk") in users
    assert all(h.startswith("$argon2id$") for (h,) in con_rows(db, "SELECT password_hash FROM app_user"))
    url = f"sqlite:///{db}"
    code, out, _ = run(["referral", "list", "--db", url, "--as", "tom.whatton"], capsys)
    assert code == 0 and len(out.splitlines()) == 12 and "KAIZEN at HMP Whatton" in out
    assert run(["referral", "list", "--db", url, "--as", "tara.usk"], capsys)[:2] == (0, "")


def con_rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_second_run_replaces_its_own_database(demo_run, capsys, tmp_path):
    # in a copy of the run's folder: the shared run stays as documented for the other tests
    folder = tmp_path / "copy"
    shutil.copytree(demo_run[0], folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        code, out, err = run(["demo", "--men", "1000", "--seed", "4", "--quiet", "--out", "again"], capsys)
    assert code == 0, err
    assert _count(folder / "desist-demo.db", "SELECT count(*) FROM person") == 1000
    assert len(out.strip().splitlines()) == 3  # --quiet: the paragraph, the estimate and truth, the time


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--men", "abc"], "--men 'abc': not a whole number"),
        (["--men", "10"], "--men 10: out of range"),
        (["--seed", "-1"], "--seed -1: out of range"),
        (["--true-hr", "x"], "--true-hr 'x': not a number"),
        (["--true-hr", "0"], "--true-hr 0: out of range"),
        (["--db", "no-such-folder/demo.db"], "no-such-folder: does not exist"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["demo", *args], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_existing_file_that_is_not_a_demo_database_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    precious = tmp_path / "desist-demo.db"
    precious.write_bytes(b"my casework")
    code, out, err = run(["demo", "--men", "1000"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "is not a desist demo database; refusing to overwrite it" in err
    assert precious.read_bytes() == b"my casework"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desist-demo.db"]


def test_an_out_path_that_is_a_file_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report").write_text("not a folder")
    code, out, err = run(["demo", "--men", "1000", "--out", "report"], capsys)
    assert code == 2 and "--out report: is a file, expected a folder" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_file_that_only_looks_like_a_demo_database_is_refused(demo_run, tmp_path, monkeypatch, capsys):
    # demo prison numbers and the demo's audit actor are data anyone can type: a copy of a real demo
    # database without its marker (or with a marker from another file) is not the demo's to replace
    folder, *_ = demo_run
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "desist-demo.db"
    shutil.copy(folder / "desist-demo.db", copy)
    code, _, err = run(["demo", "--men", "1000", "--quiet"], capsys)
    assert code == 2 and "is not a desist demo database" in err and err.count("\n") == 1
    (tmp_path / "desist-demo.db.demo-marker").write_text("0" * 64 + "\n")
    code, _, err = run(["demo", "--men", "1000", "--quiet"], capsys)
    assert code == 2 and "is not a desist demo database" in err
    people = "SELECT count(*) FROM person"
    assert _count(copy, people) == _count(folder / "desist-demo.db", people)  # untouched


def test_the_man_docs_demo_names_is_there_unreferred_at_whatton(demo_run):
    """docs/demo.md names a man to search for in the web application: the default run must hold him, at HMP
    Whatton (so rita.whatton sees him) and with no referral yet (so she can refer him)."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "demo.md").read_text(encoding="utf-8")
    found = re.search(r"\(`(\w+)`, (\w+) (\w+), with the default run", doc)
    assert found, "docs/demo.md no longer names a man for the first web journey"
    number, given, family = found.groups()
    folder, *_ = demo_run
    rows = con_rows(folder / "desist-demo.db",
                    "SELECT p.given_name, p.family_name, p.establishment,"
                    " (SELECT COUNT(*) FROM referral r WHERE r.person_id = p.id)"
                    f" FROM person p WHERE p.prison_number = '{number}'")
    assert rows == [(given, family, "HMP Whatton", 0)]
