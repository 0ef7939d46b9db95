"""Benchmark 1:1 greedy nearest-neighbour propensity matching in-process: desist against psmpy and causalml.

Every tool matches the same generated data (10 controls per treated person) on the same propensity score,
1:1 without replacement, caliper 0.2 SD where the tool has one. Each run has its own process, and the peak
memory mark (VmHWM) is reset after the data are loaded, so "+MB" is what the matching itself added. A tool is
tried at the next size only while its last run took under a tenth of the time budget (default 60 s), so
quadratic tools stop early. Then desist runs the target case:
100,000 treated and 1,000,000 controls (matching on a given score; and again with the logistic model fitted).

    pip install -e '.[bench]'      # psmpy, causalml
    python benchmarks/matching.py  [--budget 60] [--sizes 1000,10000,100000] [--skip-big]

Notes: psmpy fits its own logistic regression (included in its time) and matches on the logit with a k-d tree
query of every control for every treated unit; causalml scans all unmatched controls for each treated unit.
R's MatchIt is compared whole process against whole process, with pair-by-pair agreement, in
``benchmarks/vs_matchit.py`` (MatchIt 4.7.2; Debian's 4.5.1 is quadratic and ignores calipers, issue #163).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COVS = ["x1", "x2", "x3", "x4", "x5"]
CALIPER = 0.2

def generate(n_treated: int, n_control: int, seed: int = 1) -> pd.DataFrame:
    """Covariates shifted between the groups, and a propensity score from the true logistic model."""
    rng = np.random.default_rng(seed)
    n = n_treated + n_control
    t = np.r_[np.ones(n_treated, dtype=int), np.zeros(n_control, dtype=int)]
    x = rng.normal(size=(n, 4)) + 0.4 * t[:, None]
    x5 = (rng.random(n) < 0.3 + 0.2 * t).astype(int)
    df = pd.DataFrame(np.column_stack([x, x5]), columns=COVS)
    df["t"] = t
    lp = x @ np.array([0.4, 0.3, 0.2, 0.1]) + 0.5 * x5
    df["ps"] = 1 / (1 + np.exp(-(lp - np.log(n_control / n_treated))))
    df["id"] = np.arange(n)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # interleave the groups


def peak_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> float:
    """Reset the peak-memory mark (Linux: write 5 to /proc/self/clear_refs); return the current RSS in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return peak_mb()


def worker(tool: str, path: str) -> dict:
    """Run one tool on the data in ``path`` inside this process; return time, memory and matched count."""
    df = pd.read_parquet(path)
    __import__({"desist+glm": "desist.evaluation.matching"}.get(tool, "desist.evaluation.matching"))
    if tool in ("causalml", "psmpy"):
        __import__("causalml.match" if tool == "causalml" else "psmpy")
    base = reset_peak()  # interpreter + libraries + data, before matching; peak now counts from here
    if tool == "desist":
        from desist.evaluation.matching import NearestNeighborMatcher

        t0 = time.perf_counter()
        m = NearestNeighborMatcher(distance="ps", caliper=CALIPER).fit(df, "t", COVS)
        seconds, matched = time.perf_counter() - t0, m.n_["treated_matched"]
    elif tool == "desist+glm":
        from desist.evaluation.matching import NearestNeighborMatcher

        t0 = time.perf_counter()
        m = NearestNeighborMatcher(distance="glm", caliper=CALIPER).fit(df, "t", COVS)
        seconds, matched = time.perf_counter() - t0, m.n_["treated_matched"]
    elif tool == "causalml":
        from causalml.match import NearestNeighborMatch

        t0 = time.perf_counter()
        out = NearestNeighborMatch(replace=False, ratio=1, caliper=CALIPER, random_state=1).match(
            data=df, treatment_col="t", score_cols=["ps"]
        )
        seconds, matched = time.perf_counter() - t0, int((out["t"] == 1).sum())
    elif tool == "psmpy":
        from psmpy import PsmPy

        t0 = time.perf_counter()
        psm = PsmPy(df[["id", "t", *COVS]], treatment="t", indx="id", exclude=[])
        psm.logistic_ps(balance=False)
        psm.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=None)
        seconds, matched = time.perf_counter() - t0, int(len(psm.matched_ids))
    else:
        raise ValueError(tool)
    return {
        "seconds": round(seconds, 4),
        "peak_mb": round(peak_mb(), 1),
        "added_mb": round(peak_mb() - base, 1),
        "matched": int(matched),
    }


def run(tool: str, df: pd.DataFrame, tmp: Path, budget: float) -> dict:
    """Run ``tool`` in a fresh process with a time limit; returns its JSON line or a timeout marker."""
    parquet = tmp / "data.parquet"
    df.to_parquet(parquet)
    cmd = [sys.executable, __file__, "--worker", tool, str(parquet)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=budget * 1.5, check=True)
    except subprocess.TimeoutExpired:
        return {
            "seconds": float("inf"),
            "peak_mb": float("nan"),
            "matched": -1,
            "note": f">{budget * 1.5:.0f} s",
        }
    except subprocess.CalledProcessError as exc:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "matched": -1, "note": exc.stderr[-200:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def available_tools() -> list[str]:
    tools = ["desist"]
    for mod, name in (("causalml", "causalml"), ("psmpy", "psmpy")):
        try:
            __import__(mod)
            tools.append(name)
        except ImportError:
            print(f"({name} not installed: pip install -e '.[bench]')")
    return tools


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=60.0, help="seconds a tool may take at one size")
    ap.add_argument("--sizes", default="1000,10000,100000", help="numbers of treated (controls are 10x)")
    ap.add_argument("--skip-big", action="store_true", help="skip the 100k x 1M desist run")
    args = ap.parse_args()
    tools = available_tools()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    alive = dict.fromkeys(tools, True)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for n1 in sizes:
            df = generate(n1, 10 * n1)
            for tool in tools:
                if not alive[tool]:
                    continue
                res = run(tool, df, tmp, args.budget)
                rows.append({"tool": tool, "treated": n1, "controls": 10 * n1, **res})
                print(
                    f"{tool:>10}  {n1:>7} x {10 * n1:>8}: {res['seconds']:>9.3f} s  {res['peak_mb']:>7.1f} MB"
                    f"  matched {res['matched']}{'  ' + res.get('note', '') if res.get('note') else ''}",
                    flush=True,
                )
                if not res["seconds"] < args.budget / 10:
                    alive[tool] = False
        if not args.skip_big:
            big = generate(100_000, 1_000_000)
            for tool in ("desist+glm",) if 100_000 in sizes else ("desist", "desist+glm"):
                res = run(tool, big, tmp, args.budget)
                rows.append({"tool": tool, "treated": 100_000, "controls": 1_000_000, **res})
                print(
                    f"{tool:>10}  100000 x  1000000: {res['seconds']:>9.3f} s  {res['peak_mb']:>7.1f} MB"
                    f" +{res['added_mb']} MB  matched {res['matched']}",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    base = table[table["tool"] == "desist"].drop_duplicates("treated").set_index("treated")["seconds"]
    table["x_desist_time"] = [
        round(s / base[n], 1) if n in base.index and np.isfinite(s) else np.nan
        for s, n in zip(table["seconds"], table["treated"], strict=True)
    ]
    print()
    print(table.to_string(index=False))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        os.environ.setdefault("MPLBACKEND", "Agg")
        print(json.dumps(worker(sys.argv[2], sys.argv[3])))
    else:
        main()
