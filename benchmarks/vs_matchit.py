"""Whole-process benchmark: ``desist evaluate`` against R's MatchIt 4.7.2, same data, same pairs, same ATT.

For each size (treated x 10 controls) the data are generated once and written as CSV: a 0/1 treatment ``t``,
one covariate ``x`` (shifted by 0.5 SD in the treated) and a 0/1 outcome ``y``. Both tools then run as whole
processes under ``/usr/bin/time -v`` (wall time and peak resident memory, everything included: interpreter
start-up, imports, reading the file, the propensity model, matching and the outcome):

* R: ``read.csv`` + ``matchit(t ~ x, method = "nearest", link = "linear.logit", caliper = 0.2)`` +
  ``match.data`` + the difference in matched outcome means (1:1 nearest neighbour without replacement,
  caliper 0.2 SD of the logit). The script also writes its pairs (a few ms, timed inside R and subtracted).
* desist: ``desist evaluate --input FILE --treatment t --outcome y --covariates x --distance logit
  --caliper 0.2 --format json`` (which also does balance, robust CIs and sensitivity analyses), its bytecode
  and its numba-compiled loops cached first, as after an installed desist's first large run.

Afterwards (untimed) desist's matcher is run on the same file and its pairs compared with R's, pair by pair;
the ATT from desist's JSON is compared with R's. MatchIt 4.7.2 is looked for in ``$R_LIBS`` (default
/work/rlib; ``benchmarks/r/install_matchit.sh`` builds it); without R or the package the R column says why.

    python benchmarks/vs_matchit.py [--sizes 1000,10000,100000,1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

R_LIBS = os.environ.get("R_LIBS", "/work/rlib")
R_SCRIPT = r"""
suppressPackageStartupMessages(library(MatchIt))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
m <- matchit(t ~ x, data = d, method = "nearest", link = "linear.logit", caliper = 0.2)
md <- match.data(m)
att <- mean(md$y[md$t == 1]) - mean(md$y[md$t == 0])
t0 <- proc.time()[["elapsed"]]
mm <- m$match.matrix[, 1]
mm <- mm[!is.na(mm)]
writeBin(as.integer(c(names(mm), mm)) - 1L, args[2], size = 4)  # 0-based row numbers: treated, then controls
dump <- proc.time()[["elapsed"]] - t0
cat(sprintf('{"att": %.17g, "matched": %d, "version": "%s", "dump_seconds": %.4f}\n', att, length(mm),
            format(packageVersion("MatchIt")), dump))
"""
PAIRS_WORKER = r"""
import sys
import numpy as np
from desist.adapters.tables import read_table
from desist.evaluation.matching import NearestNeighborMatcher

df = read_table(sys.argv[1], columns=["t", "x"])
m = NearestNeighborMatcher(distance="logit", caliper=0.2).fit(df, "t", ["x"])
np.concatenate([m.match_treated_, m.match_matrix_[:, 0]]).astype(np.int32).tofile(sys.argv[2])
"""


@dataclass
class Run:
    """One whole-process run: wall and CPU (user + system) seconds, peak resident MB, its JSON output."""

    seconds: float
    cpu: float
    peak_mb: float
    out: dict


def generate(n_treated: int, path: Path, seed: int = 1) -> None:
    """Write ``t, x, y`` for ``n_treated`` treated and ten times as many controls, rows in random order."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n = 11 * n_treated
    t = np.zeros(n, dtype=np.int8)
    t[rng.permutation(n)[:n_treated]] = 1
    x = rng.normal(size=n) + 0.5 * t
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.3 * x - 0.2 * t)))).astype(np.int8)
    pacsv.write_csv(pa.table({"t": t, "x": x, "y": y}), path)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` under ``/usr/bin/time -v``; the last stdout line that parses as JSON is ``out``."""
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()
        raise RuntimeError(f"{cmd[0]} failed ({res.returncode}): {' | '.join(tail[-3:])}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", res.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    cpu = sum(float(v) for v in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", res.stderr))
    assert wall and rss, res.stderr[-500:]
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    text = res.stdout.strip()
    try:
        out = json.loads(text)
    except json.JSONDecodeError:
        out = json.loads(text.splitlines()[-1])
    return Run(seconds, cpu, int(rss.group(1)) / 1024, out)


def r_available() -> str | None:
    """None when Rscript with MatchIt 4.7.2 is usable, else the reason it is not."""
    if not shutil.which("Rscript"):
        return "Rscript not found"
    env = {**os.environ, "R_LIBS": R_LIBS}
    res = subprocess.run(
        ["Rscript", "-e", 'cat(format(packageVersion("MatchIt")))'], capture_output=True, text=True, env=env
    )
    if res.returncode != 0:
        return f"MatchIt not installed in {R_LIBS} (benchmarks/r/install_matchit.sh builds it)"
    if res.stdout.strip() != "4.7.2":
        return f"MatchIt {res.stdout.strip()} in {R_LIBS}, expected 4.7.2"
    return None


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    except OSError:
        mem = float("nan")
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def desist_cmd(path: Path) -> list[str]:
    """``desist evaluate`` as pip installs it: the console script next to this Python (not a version
    manager's shim in front of it, such as pyenv's, which runs bash and several processes first)."""
    script = Path(sysconfig.get_path("scripts")) / "desist"
    exe = str(script) if script.exists() else shutil.which("desist")
    base = [exe] if exe else [sys.executable, "-c", "from desist.entrypoints.cli import main; main()"]
    return [
        *base, "evaluate", "--input", str(path), "--treatment", "t", "--outcome", "y", "--covariates", "x",
        "--distance", "logit", "--caliper", "0.2", "--format", "json",
    ]  # fmt: skip


def pairs(path: Path) -> np.ndarray:
    """(treated row, control row) pairs as an int array, sorted by treated row."""
    raw = np.fromfile(path, dtype=np.int32)
    half = len(raw) // 2
    p = np.column_stack([raw[:half], raw[half:]])
    return p[np.argsort(p[:, 0], kind="stable")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="numbers of treated (controls 10x)")
    ap.add_argument("--keep", type=Path, help="folder to keep the generated files in (default: a temp dir)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    import compileall

    import desist

    # as an installed wheel has it (PYTHONDONTWRITEBYTECODE would otherwise recompile desist at every start)
    compileall.compile_dir(Path(desist.__file__).parent, quiet=1)
    # and numba's compiled loops in its disk cache, as after desist's first national-size run (compiling them
    # takes tens of seconds once; every later run loads them)
    from desist.evaluation._jit import warm_up

    warm_up()
    no_r = r_available()
    started = datetime.now(UTC)
    print(f"# {started:%Y-%m-%d %H:%M} UTC on {machine()}; load average at start {load()}", flush=True)
    if no_r:
        print(f"# R column skipped: {no_r}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        folder = args.keep or Path(tmpdir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "matchit.R").write_text(R_SCRIPT)
        for n1 in sizes:
            data = folder / f"data_{n1}.csv"
            generate(n1, data)
            loads = [load()]
            d = timed(desist_cmd(data))
            loads.append(load())
            r = None
            if not no_r:
                r = timed(
                    ["Rscript", str(folder / "matchit.R"), str(data), str(folder / "r_pairs.bin")],
                    env={**os.environ, "R_LIBS": R_LIBS},
                )
                r.seconds -= r.out["dump_seconds"]
                loads.append(load())
            subprocess.run(
                [sys.executable, "-c", PAIRS_WORKER, str(data), str(folder / "py_pairs.bin")], check=True
            )
            same_pairs = att_diff = None
            if r is not None:
                a, b = pairs(folder / "py_pairs.bin"), pairs(folder / "r_pairs.bin")
                same_pairs = a.shape == b.shape and bool(np.array_equal(a, b))
                att_diff = abs(d.out["outcome"]["estimate"] - r.out["att"])
            row = {
                "size": f"{n1:,} x {10 * n1:,}",
                "desist_s": d.seconds,
                "desist_cpu": d.cpu,
                "desist_mb": d.peak_mb,
                "r_s": r.seconds if r else None,
                "r_cpu": r.cpu if r else None,
                "r_mb": r.peak_mb if r else None,
                "pairs": int(d.out["n"]["treated_matched"]),
                "same_pairs": same_pairs,
                "att": d.out["outcome"]["estimate"],
                "att_diff": att_diff,
                "load": "/".join(loads),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            data.unlink()
    print(f"# finished {datetime.now(UTC):%H:%M} UTC; load average {load()}")
    print()
    print(
        "| 1:1 NN, caliper 0.2 SD of the logit, one covariate "
        "| R MatchIt 4.7.2 (Rscript: read.csv + matchit + match.data) "
        "| `desist evaluate ... --format json` | same pairs, ATT |"
    )
    print("|---|---|---|---|")
    for row in rows:
        r_text = (
            f"{row['r_s']:.2f} s (CPU {row['r_cpu']:.2f} s), {row['r_mb']:,.0f} MB"
            if row["r_s"] is not None
            else "not run"
        )
        ratio = ""
        if row["r_s"]:  # by CPU time (user + system): wall time is distorted on a shared machine
            x = row["r_cpu"] / row["desist_cpu"]
            ratio = f" ({x:.1f}x faster by CPU)" if x >= 1 else f" ({1 / x:.1f}x slower by CPU)"
        same = (
            f"{'yes' if row['same_pairs'] else 'NO'} ({row['pairs']:,} pairs), ATT {row['att']:.4f} "
            f"(diff {row['att_diff']:.0e})"
            if row["same_pairs"] is not None
            else f"{row['pairs']:,} pairs (not compared)"
        )
        ours = f"{row['desist_s']:.2f} s (CPU {row['desist_cpu']:.2f} s), {row['desist_mb']:,.0f} MB{ratio}"
        print(f"| {row['size']} | {r_text} | {ours} | {same} |")


if __name__ == "__main__":
    main()
