"""Benchmark: ``desist risk`` on 1,000,000 records, whole process, beside a plain pandas scorer, same run.

Run ``python3 benchmarks/risk.py [--n 1000000] [--tools osp,pni] [--seed 1]``. For each tool it writes ``n``
generated records to a CSV in a temporary folder, then measures with ``/usr/bin/time -v`` (wall time and peak
resident memory of the whole process, start-up and imports included):

- ``desist risk --tool TOOL --input records.csv --format csv`` (read, validate, score, write, a chunk at a
  time), and
- a plain pandas scorer for the same tool (``pandas.read_csv`` of the whole file, the tool's rules as numpy
  expressions with desist's own vectorised tables, ``to_csv``): the floor a data analyst would write, with no
  validation and the whole file in memory.

It checks that both outputs agree on every band, level and pathway, and prints the ratio. Target (issue 12):
desist under 2x the plain scorer and under 1 GB. Figures vary with load on a shared machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from desist.domain.risk.random_records import GENERATORS

#: the columns that must agree between desist and the plain scorer
COMPARED = {
    "osp": ["osp_dc.points", "osp_dc.band", "osp_iic.band"],
    "static99r": ["total", "level"],
    "rm2000": ["s.category", "v.category", "c.category"],
    "pni": ["need.level", "risk_level", "pathway"],
}


def plain_score(tool: str, src: str, dest: str) -> None:
    """The plain pandas scorer: read everything, score with numpy, write everything (no validation)."""
    from desist.domain.risk import frame_scorers as frame

    df = pd.read_csv(src, keep_default_na=False, na_values=[""])
    for c in df.columns:  # true/false text to booleans, as an analyst would
        if df[c].dtype == object and set(df[c].dropna().unique()) <= {"true", "false"}:
            df[c] = df[c].map({"true": True, "false": False})
    # the private scorers are exactly "the tool's rules as numpy expressions", without desist's checks
    frame._FRAMES[tool](df).to_csv(dest, index=False, float_format="%.4g")


def timed(cmd: list[str], stdout: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of a whole process, from /usr/bin/time -v."""
    t0 = time.perf_counter()
    with open(stdout or "/dev/null", "w") as out:
        res = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=out, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))  # type: ignore[union-attr]
    return wall, kb / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--tools", default="osp,pni")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plain", nargs=3, metavar=("TOOL", "IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plain:
        plain_score(*args.plain)
        return 0
    desist = shutil.which("desist")
    if desist is None:
        sys.exit("desist is not on PATH: pip install -e . first")
    bad = 0
    with tempfile.TemporaryDirectory(prefix="desist-bench-risk-") as tmp:
        folder = Path(tmp)
        print(f"risk benchmark: {args.n:,} records per tool, whole processes (/usr/bin/time -v)")
        for tool in args.tools.split(","):
            src = folder / f"{tool}.csv"
            GENERATORS[tool](args.n, np.random.default_rng(args.seed)).to_csv(src, index=False)
            size = src.stat().st_size / 2**20
            d_wall, d_mb = timed(
                [desist, "risk", "--tool", tool, "--input", str(src), "--format", "csv"], folder / "d.csv"
            )
            p_wall, p_mb = timed([sys.executable, __file__, "--plain", tool, str(src), str(folder / "p.csv")])
            d = pd.read_csv(folder / "d.csv", usecols=["id", *COMPARED[tool]])
            p = pd.read_csv(folder / "p.csv", usecols=["id", *COMPARED[tool]])
            differ = int((d.astype(str) != p.astype(str)).any(axis=1).sum()) if len(d) == len(p) else args.n
            bad += differ
            print(
                f"  {tool:<9} input {size:5.0f} MB | desist risk {d_wall:6.2f} s, peak {d_mb:5.0f} MB | "
                f"plain pandas {p_wall:6.2f} s, peak {p_mb:5.0f} MB | ratio {d_wall / p_wall:4.2f}x | "
                f"rows differing {differ}"
            )
    print("target: desist under 2x the plain scorer, peak under 1 GB")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
