"""End to end through the CLI: the docs walk-through runs as written; bad input gets one line and exit 2."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from desist.entrypoints.cli.app import main
from tests.cli import run_cli as _run
from tests.cli import seed_user

DOCS = Path(__file__).resolve().parents[2] / "docs" / "casework.md"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """Built once through the CLI: one offering, a rolling group of one place, two men assessed suitable."""
    path = tmp_path_factory.mktemp("template") / "cli.db"
    env = {"DESIST_DATABASE_URL": f"sqlite:///{path}", "DESIST_USER": "tester"}
    steps = [
        ["db", "init"],
        ["person", "add", "--prison-number", "A2001BB", "--date-of-birth", "1980-01-01"],
        ["person", "add", "--prison-number", "A2002BB", "--date-of-birth", "1981-01-01"],
        ["offering", "create", "--programme", "kaizen", "--site", "HMP Full Sutton"],
        ["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "1", "--sessions", "3"],
    ]
    for man in ("A2001BB", "A2002BB"):
        steps += [
            ["person", "assess", man, "--tool", "OSP", "--assessed-on", "2024-01-01", "--risk-band", "high"],
            ["referral", "create", "--person", man, "--offering", "1", "--as", "rita",
             "--referred-on", "2024-12-01"],
        ]
    for rid in ("1", "2"):
        steps.append(
            ["referral", "submit", rid, "--assessment-confirmed", "--history-reviewed", "--as", "rita"]
        )
        steps += [
            ["referral", "move", rid, "--to", to]
            for to in ("AWAITING_ASSESSMENT", "ASSESSMENT_STARTED", "ASSESSED_SUITABLE")
        ]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.delenv("DESIST_ROLE", raising=False)
        mp.delenv("DESIST_ACTOR", raising=False)
        for argv in steps:
            if argv == ["db", "init"]:
                main_ok(argv)
                url = f"sqlite:///{path}"
                # tester: every casework role, national; rita: a referrer; two prisons' programme teams
                seed_user(url, "tester", "referrer", "programme_team", "treatment_manager")
                seed_user(url, "rita", "referrer")
                seed_user(url, "sam.sutton", "programme_team", org="HMP Full Sutton")
                seed_user(url, "uma.usk", "programme_team", "referrer", org="HMP Usk")
                continue
            try:
                main(argv)
            except SystemExit as exc:
                assert not exc.code, argv
    return path


def main_ok(argv: list[str]) -> None:
    try:
        main(argv)
    except SystemExit as exc:
        assert not exc.code, argv


@pytest.fixture
def db(template_db, tmp_path, monkeypatch):
    """A private copy of the template database for one test."""
    path = tmp_path / "cli.db"
    # sqlite3's backup API, not a file copy: the template's latest writes may still be in its WAL file
    with sqlite3.connect(template_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    monkeypatch.setenv("DESIST_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("DESIST_USER", "tester")
    monkeypatch.delenv("DESIST_ACTOR", raising=False)
    monkeypatch.delenv("DESIST_ROLE", raising=False)
    return path


def test_happy_path_outputs(db, capsys):
    code, out, _ = _run(["group", "enrol", "1", "--referral", "1", "--on", "2025-02-03"], capsys)
    assert code == 0 and "1 of 1 places" in out and "A2001BB\treferral 1\tjoined session 1" in out
    code, out, _ = _run(["referral", "show", "1", "--format", "json"], capsys)
    assert code == 0 and '"status": "ON_PROGRAMME"' in out and '"to_status": "ASSESSED_SUITABLE"' in out
    code, out, _ = _run(["referral", "list", "--status", "assessed_suitable"], capsys)
    assert out.splitlines() == ["2\tASSESSED_SUITABLE\tA2002BB\tKAIZEN at HMP Full Sutton\tv5"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["group", "enrol", "1", "--referral", "1"],
            "error: group 1: full (1 of 1 places taken); expected a free place",
        ),
        (
            ["group", "session", "1", "--on", "2025-13-01"],
            "error: --on: '2025-13-01' is not a date; expected YYYY-MM-DD",
        ),
        (
            ["referral", "move", "1", "--to", "FINISHED"],
            "error: --to: 'FINISHED' is not a referral status; expected one of",
        ),
        (
            ["referral", "move", "1", "--to", "ON_PROGRAMME"],
            "error: referral 1: ON_PROGRAMME is set by enrolling",
        ),
        (
            ["referral", "move", "1", "--to", "SUITABLE_NOT_READY", "--as", "rita"],
            "error: referral 1: referrer may not move ASSESSED_SUITABLE to SUITABLE_NOT_READY;",
        ),
        (
            ["referral", "move", "1", "--to", "WITHDRAWN"],
            "error: referral 1: moving ASSESSED_SUITABLE to WITHDRAWN needs a reason",
        ),
        (
            ["referral", "move", "1", "--to", "WITHDRAWN", "--reason-category", "bored", "--reason", "x"],
            "error: reason category: 'bored' is unknown",
        ),
        (
            ["referral", "move", "1", "--to", "SUITABLE_NOT_READY", "--expect-version", "2"],
            "error: referral 1 was changed by someone else (version 5, you had 2)",
        ),
        (["referral", "show", "99"], "error: referral 99: not found"),
        (
            ["referral", "create", "--person", "A2001BB", "--offering", "1"],
            "error: person A2001BB: already has open referral 1",
        ),
        (
            ["referral", "create", "--person", "Z9999ZZ", "--offering", "1"],
            "error: person 'Z9999ZZ': not found",
        ),
        (
            ["offering", "create", "--programme", "SOTP-EVERYTHING", "--site", "x"],
            "error: programme code: 'SOTP-EVERYTHING'",
        ),
        (
            ["group", "create", "--offering", "1", "--kind", "open", "--capacity", "3", "--sessions", "3"],
            "error: --kind: 'open' is unknown; expected one of closed, rolling",
        ),
        (
            ["group", "show", "1", "--format", "yaml"],
            "error: desist group show: Invalid value for '--format'",
        ),
        (
            ["group", "complete", "1", "--person", "A2002BB", "--targets-met"],
            "error: referral 2: cannot complete; 0 of 3 planned sessions held since joining",
        ),
        (
            [
                "incentive",
                "set",
                "--person",
                "A2001BB",
                "--level",
                "gold",
                "--reason-category",
                "review",
                "--reason",
                "x",
            ],
            "error: --level: 'gold' is unknown",
        ),
        (
            [
                "incentive",
                "set",
                "--person",
                "A2001BB",
                "--level",
                "entry",
                "--reason-category",
                "review",
                "--reason",
                "x",
                "--on",
                "2021-01-01",
            ],
            "error: person A2001BB: entry level did not exist on 2021-01-01",
        ),
        (
            ["person", "add", "--prison-number", "A2003BB", "--date-of-birth", "1980-01-01", "--as", " "],
            "error: --as: missing; expected the user you act as",
        ),
        (
            ["incentive", "set", "--person", "A2001BB", "--level", "standard", "--reason-category", "review",
             "--reason", "x", "--on", "2999-01-01"],
            "error: incentive change date: 2999-01-01 is in the future (today is ",
        ),
        (
            ["group", "session", "1", "--on", "2999-01-01"],
            "error: session date: 2999-01-01 is in the future",
        ),
        (
            ["person", "assess", "A2001BB", "--tool", "OSP", "--assessed-on", "2999-01-01",
             "--risk-band", "high"],
            "error: assessment date: 2999-01-01 is in the future",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db, capsys, argv, message):
    if argv[0] == "group" and argv[1] in ("enrol", "complete"):
        assert _run(["group", "enrol", "1", "--referral", "2"], capsys)[0] == 0  # A2002BB takes the one place
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(message), err
    assert "Traceback" not in err


def test_uninitialised_database_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DESIST_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, _, err = _run(["referral", "list"], capsys)
    # a missing SQLite file is refused before connecting (connecting would create an empty file)
    assert code == 2 and err.strip().endswith("does not exist; run `desist db init` first")
    assert not (tmp_path / "empty.db").exists()


@pytest.mark.slow  # ~55 `desist` processes: about 25 s on an idle machine, over a minute on a busy one
def test_docs_walkthrough_runs(tmp_path):
    """Every ```bash block of docs/casework.md, in order, in an empty directory, as a user would type them.

    Run with ``python3 -m pytest -m slow tests/e2e/test_cli_casework.py``.
    """
    blocks = re.findall(r"```bash\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8
    script = tmp_path / "walkthrough.sh"
    script.write_text("set -euo pipefail\n" + "\n".join(blocks), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIST_")}
    env["TMPDIR"] = str(tmp_path)  # the walk-through's `cd "$(mktemp -d)"` lands in this test's folder
    proc = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out, err = proc.stdout, proc.stderr
    assert "Traceback" not in err
    # the refusals the docs show are one line each, with exit status 2
    assert out.count("refused: 2") == 6
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: person A1001AA: already has open referral 1 (REFERRAL_SUBMITTED) for HORIZON at "
        "HMP Whatton; a second open referral for one programme is a duplicate "
        "(to change site: desist referral transfer 1)",
        "error: referral 1: referrer may not move REFERRAL_SUBMITTED to AWAITING_ASSESSMENT; "
        "only the programme team may",
        "error: referral 3: moving REFERRAL_STARTED to WITHDRAWN needs a reason (category and text); "
        "categories: motivation, operational, personal, risk, administrative, other",
        "error: referral 2: cannot complete; attended 2 of 4 sessions (50%), policy needs 80%",
        "error: person 'A1003AA': not found; expected a known prison number or #<internal id>",
        "error: person A1003AA: a man maintaining innocence may not be placed on basic for not taking part "
        "in programmes (rule in force from 2017-06-26)",
    ]
    assert "allocated referrals 2, 1" in out  # earliest release first
    assert "referral 1: PROGRAMME_COMPLETE; programme history written for A1001AA" in out
    assert "referral 2: DESELECTED; programme history written for A1002AA" in out
    assert "1,1,HORIZON,2025-01-06,2025-01-17,completed,True,desist,1" in out
    assert "moved 1 men from basic to standard" in out
    assert re.search(r"referral_status_change\s+17", out)  # 7 + 7 + 2, and the transferred referral 4


def test_person_digits_are_a_prison_number_and_hash_is_the_internal_id(db, capsys):
    # the template's first man has internal id 1; a second man's prison number is "1"
    added = _run(["person", "add", "--prison-number", "1", "--date-of-birth", "1985-01-01"], capsys)
    assert added[:2] == (0, "person 3: 1\n")
    code, out, _ = _run(["person", "set-flags", "1", "--appellant"], capsys)
    assert code == 0 and out.startswith("person 3: 1 ")
    code, out, _ = _run(["person", "set-flags", "#1", "--appellant"], capsys)
    assert code == 0 and out.startswith("person 1: A2001BB ")
    # digits that are no prison number still reach the internal id, as scripts have always written them
    code, out, _ = _run(["person", "set-flags", "2", "--appellant"], capsys)
    assert code == 0 and out.startswith("person 2: A2002BB ")
    code, _, err = _run(["person", "set-flags", "#7", "--appellant"], capsys)
    assert code == 2
    assert err == "error: person '#7': not found; expected a known prison number or #<internal id>\n"


def test_a_user_cannot_act_under_a_role_they_do_not_hold(db, capsys):
    # rita is a referrer: the programme team's moves and group work are refused, whatever she types
    code, _, err = _run(["referral", "move", "1", "--to", "SUITABLE_NOT_READY", "--as", "rita"], capsys)
    assert code == 2 and err.startswith("error: referral 1: referrer may not move ASSESSED_SUITABLE")
    code, _, err = _run(["group", "enrol", "1", "--referral", "1", "--as", "rita"], capsys)
    assert (code, err) == (
        2, "error: enrol in group 1: rita (referrer) may not; needs programme_team or treatment_manager\n"
    )
    argv = ["group", "enrol", "1", "--referral", "1", "--as", "rita", "--role", "programme_team"]
    code, _, err = _run(argv, capsys)
    assert (code, err) == (
        2, "error: --role was removed; act as a named user with --as USER (see desist user --help)\n"
    )
    code, _, err = _run(["group", "show", "1", "--as", "nobody"], capsys)
    assert (code, err.split(";")[0]) == (2, "error: user nobody: not found")
    code, _, err = _run(["group", "show", "1", "--as", "test.admin"], capsys)
    assert code == 2 and "test.admin (admin) may not; needs " in err  # administrators do no casework


def test_another_prisons_user_finds_nothing_to_read_or_change(db, capsys):
    # the men are referred to HMP Full Sutton: its team sees them; HMP Usk's sees nothing
    code, out, _ = _run(["referral", "list", "--as", "sam.sutton"], capsys)
    assert code == 0 and [line.split("\t")[2] for line in out.splitlines()] == ["A2001BB", "A2002BB"]
    code, out, _ = _run(["referral", "list", "--as", "uma.usk"], capsys)
    assert (code, out) == (0, "")
    reads = [
        (["referral", "show", "1"], "error: referral 1: not found"),
        (["group", "show", "1"], "error: group 1: not found"),
        (["incentive", "history", "--person", "A2001BB"], "error: person 'A2001BB': not found"),
        (["referral", "list", "--person", "A2001BB"], "error: person 'A2001BB': not found"),
    ]
    writes = [
        (["referral", "move", "1", "--to", "SUITABLE_NOT_READY"], "error: referral 1: not found"),
        (["group", "enrol", "1", "--referral", "1"], "error: group 1: not found"),
        (["person", "set-flags", "A2001BB", "--appellant"], "error: person 'A2001BB': not found"),
        (["referral", "create", "--person", "A2001BB", "--offering", "1"], "error: person 'A2001BB': not"),
    ]
    unknown = _run(["incentive", "history", "--person", "Z9999ZZ", "--as", "uma.usk"], capsys)[2]
    for argv, message in reads + writes:
        code, _, err = _run([*argv, "--as", "uma.usk"], capsys)
        assert code == 2 and err.startswith(message), (argv, err)
    # "not found" in the same words as a man who does not exist: nothing tells that he is held elsewhere
    assert unknown.replace("Z9999ZZ", "A2001BB") == _run(
        ["incentive", "history", "--person", "A2001BB", "--as", "uma.usk"], capsys)[2]
    code, out, _ = _run(["referral", "show", "1", "--as", "sam.sutton", "--format", "json"], capsys)
    assert code == 0 and '"prison_number": "A2001BB"' in out


def test_the_audit_log_names_the_user(db, capsys):
    code, _, _ = _run(["group", "enrol", "1", "--referral", "1", "--on", "2025-02-03", "--as", "sam.sutton"],
                      capsys)
    assert code == 0
    with sqlite3.connect(db) as conn:
        actors = {a for (a,) in conn.execute(
            "SELECT actor FROM audit_log WHERE entity IN ('enrolment', 'referral_status_change')")}
        changes = conn.execute(
            "SELECT actor FROM referral_status_change WHERE to_status = 'ON_PROGRAMME'").fetchall()
    assert "sam.sutton" in actors
    assert changes == [("sam.sutton (programme_team)",)]
