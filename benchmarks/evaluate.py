"""Benchmark a full desist Evaluation on synthetic Core SOTP cohorts of 100,000 and 1,000,000 rows.

The rows come from the synthetic population (``desist.synth``): men are generated in chunks of 500,000
(different seeds) until the evaluation cohort (completed Core SOTP against eligible untreated men) has the
wanted number of rows. The evaluation is the demo's: nearest-neighbour 1:1 matching on a logistic propensity
score with a 0.2 SD caliper and exact matching on OSP/DC band, balance, the five-year outcome with
pair-robust CIs, survival (Kaplan-Meier, log-rank, Cox with pair-clustered SEs), subgroups by band (each
re-matched), E-values, Rosenbaum bounds and the innocent-deniers scenario.

Each size runs in its own process. Peak memory is the process's VmHWM; the mark is reset after the cohort is
built, so "eval +MB" is what the evaluation itself added on top of the data.

    python benchmarks/evaluate.py [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CHUNK = 500_000


def peak_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> float:
    """Reset the peak-memory mark (Linux); return the current resident memory in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return float("nan")


def cohort_rows(rows: int, seed: int = 1):
    """``rows`` evaluation rows from synthetic men, generated chunk by chunk (the last chunk cut)."""
    import pandas as pd

    from desist.synth import generate_population
    from desist.synth.cohort import evaluation_cohort, tables_from_population

    parts, have, k = [], 0, 0
    while have < rows:
        pop = generate_population(CHUNK, seed=seed + k)
        part = evaluation_cohort(tables_from_population(pop), "2024-12-31")
        part["prison_number"] = f"{k}-" + part["prison_number"]
        parts.append(part)
        have += len(part)
        k += 1
        del pop
    return pd.concat(parts, ignore_index=True).iloc[:rows], k * CHUNK


def one(rows: int) -> dict:
    """Build the cohort, then time the evaluation (in this process)."""
    from desist.synth.study import core_sotp_evaluation

    t0 = time.perf_counter()
    cohort, men = cohort_rows(rows)
    build = time.perf_counter() - t0
    data_mb = reset_peak()
    t1 = time.perf_counter()
    ev = core_sotp_evaluation(1).fit(cohort)
    seconds = time.perf_counter() - t1
    hr = ev.summary().set_index("measure").loc["hazard_ratio"]
    return {
        "rows": len(cohort),
        "men_generated": men,
        "treated": ev.n_["treated"],
        "pairs": ev.n_["treated_matched"],
        "build_s": round(build, 1),
        "evaluate_s": round(seconds, 1),
        "data_mb": round(data_mb),
        "eval_added_mb": round(peak_mb() - data_mb),
        "peak_mb": round(peak_mb()),
        "hazard_ratio": round(float(hr["estimate"]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"{'rows':>10} {'men':>10} {'treated':>8} {'pairs':>8} {'build s':>8} {'eval s':>7} "
          f"{'data MB':>8} {'eval +MB':>9} {'peak MB':>8}  HR")  # fmt: skip
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=False
        )
        if done.returncode:
            print(f"{size:>10} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        counts = f"{r['rows']:>10,} {r['men_generated']:>10,} {r['treated']:>8,} {r['pairs']:>8,}"
        times = f"{r['build_s']:>8} {r['evaluate_s']:>7} {r['data_mb']:>8} {r['eval_added_mb']:>9}"
        print(f"{counts} {times} {r['peak_mb']:>8}  {r['hazard_ratio']}")


if __name__ == "__main__":
    main()
