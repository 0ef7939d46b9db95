"""Start-up time of the everyday commands: wall time and peak memory of a fresh ``desist`` process.

A tool staff run all day must start fast (target: under 0.5 s on a small database). Each command runs as its
own process (as a user would run it) ``--repeat`` times on a small SQLite database made in a temporary
folder (a handful of men, one offering, a group and referrals); the median and the best wall time are
printed, with the median CPU time (user + system: less sensitive than wall time to other work on the
machine), the largest peak resident memory of its runs, and which heavy modules it imported (pandas, numpy,
scipy, Alembic, Rich, pydantic, FastAPI, SQLAlchemy's PostgreSQL dialect: none should be).

Desist's bytecode is compiled first (``compileall``), as an installed wheel has it: with
``PYTHONDONTWRITEBYTECODE`` set (as on the project's machines) an editable install would otherwise compile
every module from source at every start. The interpreter's own start (``python -c pass``) is printed as the
floor.

Run: ``python3 benchmarks/startup.py [--repeat 7]``. On a machine shared with other work the times vary with
load; say so when quoting them.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: a wrapper that runs the CLI and reports which heavy libraries the command imported
PROBE = (
    "import sys\n"
    "from desist.entrypoints.cli import main\n"
    "code = 0\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code or 0\n"
    "heavy = ('pandas', 'numpy', 'scipy', 'alembic', 'matplotlib', 'pydantic', 'rich', 'fastapi',\n"
    "         'sqlalchemy.dialects.postgresql')\n"
    "heavy = [m for m in heavy if m in sys.modules]\n"
    "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
    "sys.exit(code)\n"
)

COMMANDS = [
    ["--help"],
    ["--version"],
    ["referral", "list"],
    ["referral", "show", "1"],
    ["group", "show", "1"],
    ["group", "waiting", "--offering", "1"],
    ["incentive", "history", "--person", "A0001AA"],
    ["db", "status"],
    ["audit", "--limit", "20", "--as", "bench.admin"],  # the audit log: administrators only
]


def _setup(folder: Path, env: dict[str, str]) -> None:
    steps = [
        ["db", "init"],
        ["offering", "create", "--programme", "Horizon", "--site", "HMP Test"],
        ["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions", "20"],
    ]
    for i in range(1, 6):
        number = f"A000{i}AA"
        steps += [
            ["person", "add", "--prison-number", number, "--date-of-birth", "1980-01-02"],
            ["referral", "create", "--person", number, "--offering", "1"],
        ]
    for argv in steps:
        subprocess.run(
            [sys.executable, "-c", PROBE, *argv], env=env, cwd=folder, check=True, capture_output=True
        )
        if argv == ["db", "init"]:  # the user the casework commands act as (national, every casework role)
            for user in (["bench.admin", "--first-admin"],
                         ["bench.team", "--national", "--role", "referrer", "--role", "programme_team",
                          "--as", "bench.admin"]):
                subprocess.run(
                    [sys.executable, "-c", PROBE, "user", "add", *user, "--password-stdin"], env=env,
                    cwd=folder, check=True, capture_output=True, input=b"bench password 1\n",
                )


def _run(argv: list[str], env: dict[str, str], folder: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak resident MiB (this process alone, from wait4), heavy imports."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, *argv],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"desist {' '.join(argv)} failed: {err.strip()}")
    heavy = next((line[6:] for line in err.splitlines() if line.startswith("HEAVY=")), "?")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, heavy  # Linux reports KiB


def _floor(env: dict[str, str], folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the interpreter starting and doing nothing."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "pass"], env=env, cwd=folder)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "DESIST_DATABASE_URL": f"sqlite:///{folder / 'small.db'}",
            "DESIST_USER": "bench.team",
        }
        import desist

        compileall.compile_dir(Path(desist.__file__).parent, quiet=1)
        _setup(folder, env)
        start_load = os.getloadavg()[0]
        print(f"{'command':<38}{'median s':>9}{'best s':>8}{'CPU s':>8}{'peak MiB':>9}  heavy imports")
        floor = [_floor(env, folder) for _ in range(args.repeat)]
        print(
            f"{'python -c pass (the floor)':<38}{statistics.median(w for w, _ in floor):>9.3f}"
            f"{min(w for w, _ in floor):>8.3f}{statistics.median(c for _, c in floor):>8.3f}"
        )
        worst = 0.0
        for argv in COMMANDS:
            times, cpus, peak, heavy = [], [], 0.0, ""
            for _ in range(args.repeat):
                wall, cpu, rss, heavy = _run(argv, env, folder)
                times.append(wall)
                cpus.append(cpu)
                peak = max(peak, rss)
            median, cpu = statistics.median(times), statistics.median(cpus)
            worst = max(worst, median)
            print(
                f"{'desist ' + ' '.join(argv):<38}{median:>9.3f}{min(times):>8.3f}{cpu:>8.3f}{peak:>9.0f}"
                f"  {heavy or '-'}"
            )
        load = os.getloadavg()[0]
        print(
            f"slowest median {worst:.3f} s; 1-minute load average {start_load:.1f} at the start, "
            f"{load:.1f} at the end, on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
