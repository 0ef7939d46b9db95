"""Start-up discipline of the command line (README, Performance: casework commands start in under 0.5 s).

Timing is left to ``benchmarks/startup.py``; these tests guard what makes start-up fast and can fail without
a stopwatch: a casework command builds only its own part of the command tree, and imports neither the
analysis stack (pandas, numpy, scipy), nor Alembic, the web stack, Rich, pydantic, nor SQLAlchemy's
PostgreSQL dialect on a SQLite database.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from desist.entrypoints.cli.app import build_app, main
from tests.cli import ADMIN, CASEWORK, seed_user

#: modules a casework command must not import: each costs from a twentieth of a second to most of a second
NOT_ON_THE_CASEWORK_PATH = (
    "pandas",
    "numpy",
    "scipy",
    "alembic",
    "fastapi",
    "starlette",
    "jinja2",
    "rich",
    "pydantic",
    "matplotlib",
    "desist.evaluation",
    "desist.monitoring.design",  # the package and its record module are light (the --method choices)
    "desist.monitoring.review",
    "desist.entrypoints.web",
    "sqlalchemy.dialects.postgresql",
)

#: runs one command as the console script would, then reports which of the modules above it imported
PROBE = """
import json, sys
from desist.entrypoints.cli.app import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
loaded = sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)
sys.stderr.write("LOADED=" + json.dumps(loaded) + "\\n")
sys.exit(code)
"""

CASEWORK_COMMANDS = [
    ["referral", "list"],
    ["referral", "show", "1"],
    ["group", "show", "1"],
    ["group", "waiting", "--offering", "1"],
    ["person", "add", "--prison-number", "A0002AA", "--date-of-birth", "1981-02-03"],
    ["incentive", "history", "--person", "A0001AA"],
    ["db", "status"],
    ["audit", "--limit", "5", "--as", ADMIN],  # the audit log: an administrator's
    ["--help"],
    ["referral", "list", "--help"],
]


def _top_level(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_a_named_command_builds_only_its_own_subtree() -> None:
    full = typer.main.get_command(build_app())
    names = set(full.commands)  # type: ignore[attr-defined]
    assert {"referral", "group", "db", "audit", "user", "evaluate", "version"} <= names
    for name in names:
        part = typer.main.get_command(build_app([name]))
        assert set(part.commands) == {name}, name  # type: ignore[attr-defined]
        mine, theirs = part.commands[name], full.commands[name]  # type: ignore[attr-defined]
        assert [p.name for p in mine.params] == [p.name for p in theirs.params], name
        assert set(getattr(mine, "commands", {})) == set(getattr(theirs, "commands", {})), name


def test_an_unknown_name_or_an_option_keeps_the_whole_tree() -> None:
    everything = _top_level(build_app())
    assert _top_level(build_app(["referal"])) == everything
    assert _top_level(build_app()) == everything


def test_a_subcommand_builds_only_itself_and_a_wrong_one_its_whole_group() -> None:
    def subcommands(group: list[str], *rest: str) -> set[str]:
        """The commands of ``group`` in the app built for running ``group + rest``."""
        command = typer.main.get_command(build_app([*group, *rest]))
        for name in group:
            command = command.commands[name]  # type: ignore[attr-defined]
        return set(command.commands)  # type: ignore[attr-defined]

    assert subcommands(["referral"], "list") == {"list"}
    assert subcommands(["referral"], "show", "1") == {"show"}
    assert subcommands(["user", "token"], "list") == {"list"}
    assert subcommands(["user"], "token", "list") == {"token"}
    assert {"create", "list", "show", "move"} <= subcommands(["referral"], "lst")
    assert {"create", "list", "show", "move"} <= subcommands(["referral"])


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small SQLite database with one man, one offering and one referral; the environment to reach it."""
    folder = tmp_path_factory.mktemp("startup")
    url = f"sqlite:///{folder / 'small.db'}"
    env = {**os.environ, "DESIST_DATABASE_URL": url, "DESIST_USER": "start.team"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[3] / "src"), env.get("PYTHONPATH", "")])
    _desist(["db", "init", "--db", url])
    seed_user(url, "start.team", *CASEWORK)
    for argv in (
        ["offering", "create", "--programme", "Horizon", "--site", "HMP Test"],
        ["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions", "20"],
        ["person", "add", "--prison-number", "A0001AA", "--date-of-birth", "1980-01-02"],
        ["referral", "create", "--person", "A0001AA", "--offering", "1"],
    ):
        _desist([*argv, "--db", url, "--as", "start.team"])
    return env


def _desist(argv: list[str]) -> None:
    try:
        main(argv)
    except SystemExit as exc:
        assert not exc.code, f"desist {' '.join(argv)} exited {exc.code}"


@pytest.mark.parametrize("argv", CASEWORK_COMMANDS, ids=" ".join)
def test_casework_commands_import_nothing_heavy(small_db: dict[str, str], argv: list[str]) -> None:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(NOT_ON_THE_CASEWORK_PATH), *argv],
        env=small_db,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    loaded = next(line[7:] for line in res.stderr.splitlines() if line.startswith("LOADED="))
    assert json.loads(loaded) == []


def test_the_collector_is_off_until_the_store_is_opened_and_on_after(small_db: dict[str, str]) -> None:
    from desist.entrypoints.cli import collector
    from desist.entrypoints.cli.casework_common import open_app

    assert gc.isenabled()
    with collector.paused(True):
        assert not gc.isenabled()
        with open_app(small_db["DESIST_DATABASE_URL"]):
            assert gc.isenabled()  # the command's own work is collected as usual
            assert gc.get_freeze_count() > 10_000  # what start-up made is left out of the scans
    assert gc.isenabled()
    with collector.paused(False):
        assert gc.isenabled() and gc.get_freeze_count() == 0  # the next command frees what the last froze
        collector.resume()  # not paused: changes nothing
        assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("argv", [["referral", "list"], ["referral", "show", "99"], ["referral", "lst"]])
def test_a_casework_command_run_in_process_leaves_the_collector_on(
    small_db: dict[str, str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--db", small_db["DESIST_DATABASE_URL"], "--as", "start.team"])
    assert gc.isenabled()
    gc.unfreeze()
