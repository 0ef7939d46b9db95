"""Who may import, export, read the audit log, evaluate and monitor (issue #11), on SQLite and PostgreSQL.

The commands act as a stored user (``--as USER`` / ``DESIST_USER``) and the services check that user's roles
against ``data/access_policy.yaml``, as for the web app: for every command the allowed role succeeds; a
role the policy does not allow, an unknown user, a disabled user, a missing ``--as`` and the old free-text
``--actor`` are each refused in one line with exit 2, and nothing is written (every table's row count,
the audit log's included, and the working folder are unchanged).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from desist.adapters.orm import Base, MonitoringAlert, MonitoringReview
from desist.domain.errors import Forbidden
from tests.cli import run_cli, seed_user
from tests.principals import admin, analyst, as_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MISSING = "error: --as: missing; expected the user you act as (--as USER, or set DESIST_USER)\n"
NOBODY = "error: user nobody: not found; an administrator adds users with `desist user add`\n"
DISABLED = "error: user dora is disabled; an administrator can enable them again\n"
READERS = "analyst or programme_team or referrer or treatment_manager"  # evaluation.read, monitor.read
KEY = "access-test-pseudonym-key-0123456789"


def _counts(url: str) -> dict[str, int]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in Base.metadata.tables.items()
            }
    finally:
        eng.dispose()


def _files(folder: Path) -> list[str]:
    """The working folder's files (the SQLite database and its companions are beside it, not in it)."""
    return sorted(p.name for p in (folder / "work").iterdir())


def _alert(url: str) -> None:
    """One stored harm alert (id 1), as `desist monitor run` on the casework store leaves one."""
    from desist.adapters.engine import make_engine, make_session_factory
    from desist.services.monitoring import STORE_SOURCE

    eng = make_engine(url)
    with make_session_factory(eng)() as s:
        review = MonitoringReview(
            programme_code="SOTP-CORE", as_of=dt.date(2012, 12, 31), method="group-sequential", design={},
            source=STORE_SOURCE, treated=400, comparison=800, events=60, estimate=1.6, ci_low=1.2,
            ci_high=2.1,
            z=3.1, information=20.0, information_fraction=0.5, boundary=2.5, decision="harm", evidence={},
        )
        s.add(review)
        s.flush()
        s.add(MonitoringAlert(review_id=review.id, programme_code="SOTP-CORE", as_of=review.as_of,
                              direction="harm", evidence={"z": 3.1, "boundary": 2.5}))
        s.commit()
    eng.dispose()


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with one user per role (and a disabled analyst), an alert, and the example people file."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    for name in ("DESIST_USER", "DESIST_ACTOR", "DESIST_ROLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DESIST_PSEUDONYM_KEY", KEY)
    seed_user(database_url, "ada", "admin")
    seed_user(database_url, "nina", "analyst")
    seed_user(database_url, "dora", "analyst")
    seed_user(database_url, "rita", "referrer", org="HMP Whatton")
    seed_user(database_url, "tess", "treatment_manager", org="HMP Whatton")
    _disable(database_url, "dora", by="ada")
    _alert(database_url)
    (tmp_path / "work" / "people.csv").write_bytes((EXAMPLES / "import" / "people.csv").read_bytes())
    return database_url


def _disable(url: str, username: str, by: str) -> None:
    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.services import users

    with bootstrap(Settings(database_url=url)) as app:  # type: ignore[call-arg]
        users.disable_user(app.uow(users.principal_for(app.uow("system:test"), by)), username)


#: (command, the user it succeeds for, a user it refuses, the refusal: what, user (roles), needs)
COMMANDS = [
    (["import", "people", "--input", "people.csv"], "ada", "rita",
     "import people: rita (referrer) may not; needs admin"),
    (["import", "people", "--input", "people.csv", "--dry-run"], "ada", "nina",
     "import people: nina (analyst) may not; needs admin"),
    (["export", "people", "out.csv"], "ada", "nina", "export people: nina (analyst) may not; needs admin"),
    (["export", "people", "out.csv", "--pseudonymised"], "nina", "ada",
     "export people: ada (admin) may not; needs analyst"),
    (["audit", "--limit", "5"], "ada", "rita", "read the audit log: rita (referrer) may not; needs admin"),
    (["audit", "verify"], "ada", "nina", "verify the audit log: nina (analyst) may not; needs admin"),
    (["evaluate", "runs"], "rita", "ada", f"list evaluation runs: ada (admin) may not; needs {READERS}"),
    (["evaluate", "--programme", "SOTP-CORE", "--as-of", "2024-12-31"], None, "tess",
     "evaluate SOTP-CORE: tess (treatment_manager) may not; needs analyst"),
    (["monitor", "status"], "nina", "ada", f"read monitoring reviews: ada (admin) may not; needs {READERS}"),
    (["monitor", "run", "--synthetic", "--men", "3000", "--programme", "KAIZEN", "--as-of", "2013-12-31"],
     "nina", "tess", "store monitoring reviews: tess (treatment_manager) may not; needs analyst"),
    (["monitor", "run", "--as-of", "2024-12-31"], None, "tess",
     "store monitoring reviews: tess (treatment_manager) may not; needs analyst"),
    (["monitor", "ack", "1", "--reason", "referred to the programme board"], "tess", "rita",
     "acknowledge alert 1: rita (referrer) may not; needs analyst or treatment_manager"),
    (["report", "1", "--out", "r.html"], None, "ada",
     f"read evaluation run 1: ada (admin) may not; needs {READERS}"),
]


@pytest.mark.parametrize(
    ("argv", "allowed", "refused", "message"), COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS]
)
def test_each_command_checks_the_acting_users_role(  # type: ignore[no-untyped-def]
    cli: str, tmp_path: Path, capsys, monkeypatch, argv, allowed, refused, message
) -> None:
    before, files = _counts(cli), _files(tmp_path)
    refusals = [
        (["--as", refused], f"error: {message}\n"),
        (["--as", "nobody"], NOBODY),
        (["--as", "dora"], DISABLED),
        ([], MISSING),
    ]
    for extra, expected in refusals:
        code, out, err = run_cli([*argv, *extra], capsys)
        assert (code, out, err) == (2, "", expected), (extra, err)
        assert _counts(cli) == before, extra  # nothing written, not even an audit row
        assert _files(tmp_path) == files, extra
    # the old free-text --actor is --as now: a name is looked up, never recorded as typed
    code, out, err = run_cli([*argv, "--actor", "someone.else"], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "warning: --actor is deprecated; use --as",
        "error: user someone.else: not found; an administrator adds users with `desist user add`",
    ]
    monkeypatch.setenv("DESIST_ACTOR", "someone.else")  # nor the old environment variable
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and err.splitlines()[-1].startswith("error: user someone.else: not found")
    monkeypatch.delenv("DESIST_ACTOR")
    assert _counts(cli) == before
    if allowed is None:  # succeeds on a loaded database: test_the_analysts_commands_on_a_loaded_database
        return
    monkeypatch.setenv("DESIST_USER", allowed)  # the environment names the user as --as does
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err


def test_what_the_allowed_commands_wrote_names_the_user(cli: str, tmp_path: Path, capsys) -> None:
    assert run_cli(["import", "people", "--input", "people.csv", "--as", "ada"], capsys)[0] == 0
    code, out, _ = run_cli(["audit", "--entity", "person", "--format", "json", "--as", "ada"], capsys)
    assert code == 0 and {json.loads(line)["actor"] for line in out.splitlines()} == {"ada"}
    assert len(out.splitlines()) == 3
    code, out, _ = run_cli(["export", "people", "out.csv", "--as", "ada"], capsys)
    assert (code, out) == (0, "out.csv: 3 row(s) of people\n")
    assert (tmp_path / "work" / "out.csv").read_text().startswith("prison_number,")
    # an analyst gets the men as pseudonyms only: no prison number, no date of birth
    code, out, err = run_cli(["export", "people", "p.csv", "--pseudonymised", "--as", "nina"], capsys)
    assert (code, out) == (0, "p.csv: 3 row(s) of people, pseudonymised\n"), err
    text = (tmp_path / "work" / "p.csv").read_text()
    assert text.splitlines()[0] == "pseudonym,birth_year,sex,ldc,maintains_innocence"
    assert "A1001AA" not in text and "1971-03-14" not in text and text.count("P-") == 3
    code, _, err = run_cli(["export", "people", "p.csv", "--pseudonymised", "--as", "nina"], capsys)
    assert code == 2 and err == "error: FILE p.csv: exists; add --force to replace it\n"
    code, out, _ = run_cli(["monitor", "ack", "1", "--reason", "seen", "--as", "tess"], capsys)
    assert (code, out) == (0, "alert 1 (SOTP-CORE) acknowledged by tess\n")
    code, out, _ = run_cli(["monitor", "status", "--as", "rita"], capsys)  # monitor.read: casework too
    assert code == 0 and out.splitlines()[-1] == "no open alerts"


def test_the_analysts_commands_on_a_loaded_database(cli: str, tmp_path: Path, capsys) -> None:
    from desist.adapters.engine import make_engine
    from desist.services.demo import load_population
    from desist.synth import generate_population
    from desist.synth.export import write_import_files

    engine = make_engine(cli)
    files = write_import_files(generate_population(1500, seed=3), "2024-12-31", tmp_path / "files")
    load_population(engine, files, principal=admin("ada"))
    engine.dispose()
    day = ["--as-of", "2024-12-31"]
    argv = ["evaluate", "--programme", "SOTP-CORE", *day, "--as", "nina", "--format", "json"]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    run = json.loads(out)
    assert run["actor"] == "nina"
    code, out, _ = run_cli(["evaluate", "runs", "show", str(run["id"]), "--as", "rita"], capsys)
    assert code == 0 and out.startswith(f"evaluation run {run['id']}: SOTP-CORE") and "by nina" in out
    code, out, err = run_cli(["report", str(run["id"]), "--out", "r.html", "--as", "tess"], capsys)
    assert code == 0 and (tmp_path / "work" / "r.html").read_text().startswith("<!DOCTYPE html>"), err
    before = _counts(cli)
    monitor = ["monitor", "run", "--programme", "SOTP-CORE", *day, "--min-treated", "20"]
    code, _, err = run_cli([*monitor, "--as", "tess"], capsys)
    assert code == 2 and "tess (treatment_manager) may not; needs analyst" in err
    assert _counts(cli) == before  # refused before anything was evaluated or stored
    code, out, err = run_cli([*monitor, "--as", "nina"], capsys)
    assert code == 0 and "review 2 stored" in out, err
    after = _counts(cli)
    assert (after["monitoring_review"], after["evaluation_run"]) == (2, 2)


def test_a_pseudonymised_export_never_writes_over_the_database(  # type: ignore[no-untyped-def]
    cli: str, backend: str, tmp_path: Path, capsys
) -> None:
    if backend != "sqlite":
        pytest.skip("the database is a file on SQLite only")
    db = Path(cli.removeprefix("sqlite:///"))
    (tmp_path / "work" / "db.csv").symlink_to(db)
    before = db.read_bytes()
    argv = ["export", "people", "db.csv", "--pseudonymised", "--force", "--as", "nina"]
    code, out, err = run_cli(argv, capsys)
    assert (code, out) == (2, "") and err.startswith("error: ") and err.count("\n") == 1, err
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("call", "who", "message"),
    [
        ("import", as_user("referrer"), "import people: referrer (referrer) may not; needs admin"),
        ("export", analyst(), "export people: analyst (analyst) may not; needs admin"),
        ("audit", analyst(), "read the audit log: analyst (analyst) may not; needs admin"),
        ("evaluate", as_user("programme_team"), "evaluate SOTP-CORE: programme_team (programme_team) may"),
        ("runs", admin(), "list evaluation runs: admin (admin) may not"),
        ("status", admin(), "read monitoring reviews: admin (admin) may not"),
        ("ack", as_user("referrer"), "acknowledge alert 1: referrer (referrer) may not"),
    ],
)
def test_the_services_check_the_role_whoever_calls_them(  # type: ignore[no-untyped-def]
    engine, session_factory, tmp_path, call, who, message
) -> None:
    """The check is in the service, not the command line: a script calling it directly is refused too."""
    from desist.adapters.store import Store
    from desist.services import audit, evaluations, exports, imports, monitoring
    from desist.services.unit_of_work import UnitOfWork

    def uow() -> UnitOfWork:
        return UnitOfWork(session_factory, principal=who)

    out = tmp_path / "p.csv"
    calls = {
        "import": lambda: imports.import_file(uow(), "people", EXAMPLES / "import" / "people.csv"),
        "export": lambda: exports.export_table(Store(engine, "t"), "people", out, principal=who),
        "audit": lambda: audit.read_audit(Store(engine, "t"), principal=who),
        "evaluate": lambda: evaluations.evaluate_programme("SOTP-CORE", dt.date(2024, 12, 31), None, uow()),
        "runs": lambda: evaluations.list_runs(uow()),
        "status": lambda: monitoring.status(uow),
        "ack": lambda: monitoring.acknowledge(uow, 1, "seen"),
    }
    with pytest.raises(Forbidden) as refused:
        calls[call]()
    assert str(refused.value).startswith(message)
    assert not out.exists()
