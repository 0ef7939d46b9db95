"""Benchmark: score every risk tool for 1,000,000 generated records with the vectorised DataFrame path.

Run ``python3 benchmarks/risk.py [--n 1000000] [--seed 1]``. Prints, per tool, the time to generate the
records and the time to score them, then the total scoring wall time and the process's peak resident memory
(``resource.getrusage``). Target (issue 2, item 8): all tools under 10 s on a 2-core machine. A final check
scores 2,000 of the records with the scalar reference (the path ``desist risk`` uses: pydantic validation and
scoring per record), confirms the vectorised results match, and reports that path's rate.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from desist.adapters.records import flatten
from desist.domain.risk import osp, pni, rm2000, static99r
from desist.domain.risk.frame import FRAMES
from desist.domain.risk.random_records import GENERATORS

SCALAR = {
    "osp": (osp.OspInput, osp.score),
    "static99r": (static99r.Static99RInput, static99r.score),
    "rm2000": (rm2000.Rm2000Input, rm2000.score),
    "pni": (pni.PniInput, pni.score),
}


def peak_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


def spot_check(tool: str, df, out, k: int) -> int:
    """Score the first k records with the scalar reference; return how many disagree."""
    model, score = SCALAR[tool]
    bad = 0
    cols = list(out.columns)
    for rec, row in zip(df.head(k).to_dict("records"), out.head(k).to_dict("records"), strict=True):
        rec = {key: (None if isinstance(v, float) and np.isnan(v) else v) for key, v in rec.items()}
        expected = flatten({"id": rec["id"], **score(model.model_validate(rec)).to_dict()})
        for c in cols:
            e, g = expected[c], row[c]
            g = None if g is None or (isinstance(g, float) and np.isnan(g)) or str(g) == "<NA>" else g
            if isinstance(e, float):
                bad += g is None or abs(e - g) > 1e-12
            else:
                bad += (None if g is None else str(g)) != (None if e is None else str(e))
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", type=int, default=2000, help="records re-scored with the scalar path")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    total_score = 0.0
    disagreements = 0
    print(f"risk benchmark: {args.n:,} records per tool")
    for tool in ("osp", "static99r", "rm2000", "pni"):
        t0 = time.perf_counter()
        df = GENERATORS[tool](args.n, rng)
        t1 = time.perf_counter()
        out = FRAMES[tool](df)
        t2 = time.perf_counter()
        total_score += t2 - t1
        t3 = time.perf_counter()
        disagreements += spot_check(tool, df, out, args.check)
        scalar_rate = args.check / (time.perf_counter() - t3)
        print(
            f"  {tool:<10} generate {t1 - t0:6.2f} s   score {t2 - t1:6.2f} s   "
            f"({args.n / (t2 - t1) / 1e6:.1f} M records/s; scalar path {scalar_rate:,.0f} records/s)"
        )
        del df, out
    print(f"scoring wall time, all tools: {total_score:.2f} s (target < 10 s)")
    print(f"peak memory (max RSS): {peak_mib():.0f} MiB")
    print(f"scalar spot check: {disagreements} disagreements in {args.check:,} records per tool")
    return 0 if disagreements == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
